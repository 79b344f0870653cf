-- @comment What the fact store holds and what the refreshes that wrote it did: one row per account, and one row for the whole store (account_id NULL; not shown to a user bound to accounts). Read from the generation the statement reads, after the store is brought up to date with the log; empty when the server runs without a store (--no-facts).
-- @column account_id: The account; NULL for the row of the whole store.
-- @column generation: The store's generation: incremented by every refresh that changed it.
-- @column location: Where the account's files (or the whole store) are, as a URL ending in / (file:///…/, s3://bucket/prefix/).
-- @column partitions: Week partitions: the conversations that started in one UTC week, with their log rows.
-- @column conversations: Conversations stored (rows of conversation_facts).
-- @column messages: Log rows stored, de-duplicated by message_id (rows of messages).
-- @column events: Events stored, as the events view has them.
-- @column touches: Attribution touches stored (rows of attribution_touches).
-- @column profiles: Profiles stored, the latest version of each.
-- @column files: The Parquet files holding them.
-- @column bytes: Their size in bytes.
-- @column refreshed_at: When the last refresh that changed the account (or, for the whole store, the last refresh) finished; NULL when none is recorded.
-- @column refresh_generation: The generation that refresh wrote.
-- @column refresh_seconds: How long that refresh took, in seconds.
-- @column files_folded: Log files it folded in (for an account: those with rows of the account).
-- @column rows_folded: Log rows it folded in (for an account: the account's rows).
-- @column rebuild_cause: Why that refresh rebuilt the store from the log (the first build, a change of accounts/, a log file that changed or disappeared, a store file or manifest that was damaged, missing or of another version); NULL when it only folded in new files.
CREATE VIEW fact_store AS
SELECT account_id, generation, location, partitions, conversations, messages, events, touches, profiles, files, bytes,
       refreshed_at, refresh_generation, refresh_seconds, files_folded, rows_folded, rebuild_cause
FROM conversql_fact_store();
