-- @comment One row per attempt of a report run (conversql report run, serve --reports), oldest first, read from the runs file of the state directory (--state-dir).
-- @column report: The report's name.
-- @column scheduled_for: The schedule slot the run is for, which is also the instant T its data is judged at; NULL for a report rejected at load.
-- @column trigger: Why it ran: schedule, catch_up (a slot missed while the server was down), manual (conversql report run) or load (a rejected report).
-- @column started_at: When the attempt started.
-- @column finished_at: When the attempt ended.
-- @column attempt: 1 for the first attempt, 2 for the first retry, and so on.
-- @column status: succeeded, retrying (failed, retried after a back-off), failed (no retry left), skipped (missed and not caught up) or invalid (rejected at load).
-- @column rows: Rows written (succeeded runs; summed over the sections of an html page).
-- @column bytes: Bytes written (succeeded runs).
-- @column output_url: Where the output was (or was to be) written.
-- @column error: The error of an attempt that did not succeed, naming the report and the field.
CREATE VIEW report_runs AS
SELECT report, scheduled_for, "trigger", started_at, finished_at, attempt, status, "rows", bytes, output_url, error
FROM conversql_report_runs();
