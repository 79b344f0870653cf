-- The row rules of data_quality: rows of readable files that the numbers do
-- not include, or include differently from what they say. Run by
-- src/data_quality.rs over the contract tables (bad files skipped, the
-- session's account scope applied). Columns: table_name, source_file,
-- account_id, row_id, rule, detail.
SELECT 'messages' AS table_name, source_file, account_id, message_id AS row_id,
       'unknown_sender' AS rule,
       'sender ''' || sender || ''' is neither visitor nor agent: the row still counts as a message (message_count, last_updated), but is never a first question or an agent skill, and a closed conversation whose last message it is counts as Closed, not Resolved' AS detail
FROM messages
WHERE sender NOT IN ('visitor', 'agent')
UNION ALL
SELECT 'messages', source_file, account_id, message_id,
       'unknown_kind',
       'kind ''' || kind || ''' is not text, product_card, handoff_message, handoff_ticket or close: the row is no message and no action (it still dates its conversation)'
FROM messages
WHERE kind NOT IN ('text', 'product_card', 'handoff_message', 'handoff_ticket', 'close')
UNION ALL
SELECT 'messages', source_file, account_id, message_id,
       'conflicting_duplicate',
       'message_id delivered again with different contents; only the first delivery counts (' || kept_file || ')'
FROM (
    SELECT source_file, account_id, message_id, content,
           row_number() OVER (PARTITION BY account_id, message_id
                              ORDER BY sent_at, source_file, conversation_id, kind, sender, body) AS delivery_rank,
           first_value(content) OVER (PARTITION BY account_id, message_id
                                      ORDER BY sent_at, source_file, conversation_id, kind, sender, body) AS kept_content,
           first_value(source_file) OVER (PARTITION BY account_id, message_id
                                          ORDER BY sent_at, source_file, conversation_id, kind, sender, body) AS kept_file
    FROM (
        SELECT *,
               concat_ws(chr(31), conversation_id, channel, CAST(sent_at AS VARCHAR), sender, kind,
                         coalesce(body, chr(0)), coalesce(profile_id, chr(0)), coalesce(skill, chr(0)),
                         coalesce(array_to_string(product_ids, chr(30)), chr(0)),
                         coalesce(array_to_string(tags, chr(30)), chr(0)),
                         coalesce(escalation_reason, chr(0))) AS content
        FROM messages
    ) AS with_content
) AS ranked
WHERE delivery_rank > 1 AND content <> kept_content
UNION ALL
SELECT 'events', e.source_file, e.account_id, e.event_id,
       'click_unknown_conversation',
       CASE WHEN e.conversation_id IS NULL
            THEN e.metric || ' without a conversation_id: not an attribution touch'
            ELSE e.metric || ' naming conversation ''' || e.conversation_id || ''', which is not in the conversation log: not an attribution touch'
       END
FROM events AS e
LEFT JOIN (SELECT DISTINCT account_id, conversation_id FROM messages) AS c
    ON c.account_id = e.account_id AND c.conversation_id = e.conversation_id
WHERE e.metric IN ('Clicked Product Card', 'Clicked SMS') AND c.conversation_id IS NULL
UNION ALL
SELECT 'events', source_file, account_id, event_id,
       'click_without_profile',
       metric || ' without a profile_id: not an attribution touch (no order can be matched to it)'
FROM events
WHERE metric IN ('Clicked Product Card', 'Clicked SMS') AND profile_id IS NULL
UNION ALL
SELECT 'events', source_file, account_id, event_id,
       'order_without_profile',
       'Placed Order ' || coalesce('''' || order_id || '''', '(no order_id)') || ' without a profile_id: never credited to a touch, so not in AI-generated sales'
FROM events
WHERE metric = 'Placed Order' AND profile_id IS NULL
