-- @comment The workers of the server's cluster (serve --workers): each worker's state and the work it did for this server since it started. Empty when the server runs alone, and for a user bound to accounts (a worker's work is every tenant's).
-- @column url: The worker's URL, as given to --workers.
-- @column state: up (plans go to it), starting (not answered yet), down (not answering; checked again every second) or refused (answering, but another conversql version, not a conversql worker, or the cluster secret refused).
-- @column tasks_run: Plan fragments (tasks) this server sent to the worker.
-- @column rows_out: Rows the worker sent back to this server.
-- @column last_error: The last error the worker gave, or that reaching it gave; NULL when none.
-- @column last_seen: When the worker last answered a check; NULL when it never did.
CREATE VIEW cluster_workers AS
SELECT url, state, tasks_run, rows_out, last_error, last_seen
FROM conversql_cluster_workers();
