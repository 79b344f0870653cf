-- conversations: one row per conversation, judged as of the session's instant
-- T (`SET conversql.as_of`, else the current time): closed_at applies the
-- 48-hour rule, status the five-step rule of CONTRACT.md section 3.
CREATE VIEW conversations AS
SELECT
    f.account_id,
    f.conversation_id,
    f.channel,
    conversation_status(f.has_ticket, f.has_handoff_message, f.closed_at, f.last_sender) AS status,
    f.started_at,
    local_date(f.started_at, a.timezone) AS started_date,
    f.last_updated,
    f.closed_at,
    f.first_question,
    f.profile_id,
    CASE
        WHEN trim(concat_ws(' ', p.first_name, p.last_name)) <> ''
            THEN trim(concat_ws(' ', p.first_name, p.last_name))
        WHEN trim(p.email) <> '' THEN p.email
        WHEN trim(p.phone_number) <> '' THEN p.phone_number
        ELSE 'Anonymous'
    END AS profile,
    f.tags,
    f.message_count,
    f.initial_skill,
    f.final_skill,
    f.handoff_at,
    f.escalation_reason,
    f.last_sender
FROM (
    SELECT
        *,
        conversation_closed_at(first_close_at, last_updated, as_of()) AS closed_at
    FROM conversation_facts
) AS f
LEFT JOIN accounts AS a ON a.account_id = f.account_id
LEFT JOIN profiles AS p ON p.account_id = f.account_id AND p.profile_id = f.profile_id;
