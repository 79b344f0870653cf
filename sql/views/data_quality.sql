-- @comment One row per file or row that the numbers do not include, with the reason (docs/contract.md section 1: never dropped silently). Files failing the contract check fail queries by default, or are skipped with --skip-bad-files / SET conversql.skip_bad_files = on; rows of readable files are flagged by the rules of sql/rules/row_rules.sql.
-- @column table_name: The contract table: accounts, profiles, messages or events.
-- @column source_file: The file (full path), or the file of the flagged row.
-- @column account_id: The row's account; NULL for a whole file.
-- @column row_id: The flagged row's message_id or event_id; NULL for a whole file.
-- @column rule: unreadable_file, wrong_column_type, missing_required_column, null_in_required_column (files); unknown_sender, unknown_kind, conflicting_duplicate, click_unknown_conversation, click_without_profile, order_without_profile (rows).
-- @column detail: What is wrong and what the numbers do with it.
-- data_quality: see src/data_quality.rs and docs/data-quality.md.
CREATE VIEW data_quality AS
SELECT table_name, source_file, account_id, row_id, rule, detail
FROM conversql_data_quality();
