-- @comment One row per account, local date and tag with at least one conversation; a conversation counts once under each of its tags, an untagged one under NULL (docs/contract.md section 9).
-- @column account_id: The account (tenant) the row belongs to.
-- @column date: Local date (started_date) in the account's time zone.
-- @column tag: The tag; NULL for untagged conversations.
-- @column conversations: Number of conversations started that day carrying the tag.
-- daily_conversations_by_tag: conversations by local start date and tag; a
-- conversation with several tags counts once under each, one with none under
-- a NULL tag.
CREATE VIEW daily_conversations_by_tag AS
SELECT account_id, started_date AS "date", tag, count(*) AS conversations
FROM (
    SELECT
        account_id,
        started_date,
        unnest(
            CASE WHEN cardinality(tags) = 0 THEN make_array(CAST(NULL AS VARCHAR)) ELSE tags END
        ) AS tag
    FROM conversations
) AS tagged
GROUP BY account_id, started_date, tag;
