-- The `conversation_facts` view computed from the de-duplicated log (the raw
-- path): every conversation fact of docs/contract.md section 3 that does not depend
-- on the instant T, with the local start date and the profile's display name.
-- Rows are ordered by (sent_at, message_id) wherever "first" or "last" is meant.
--
-- The same query builds the materialised facts: the fact store runs it over the
-- rows of the conversations a new file touches (tables `messages`, `accounts`
-- and `profiles` of its build context), so both paths share one definition.
SELECT
    f.account_id,
    f.conversation_id,
    f.channel,
    f.started_at,
    local_date(f.started_at, a.timezone) AS started_date,
    f.message_count,
    f.last_updated,
    f.last_sender,
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
    f.initial_skill,
    f.final_skill,
    f.handoff_at,
    f.escalation_reason,
    f.first_close_at,
    f.has_ticket,
    f.has_handoff_message,
    f.agent_message_times,
    f.agent_message_ids
FROM (
    SELECT
        account_id,
        conversation_id,
        first_value(channel ORDER BY sent_at, message_id) AS channel,
        min(sent_at) AS started_at,
        count(*) FILTER (WHERE kind IN ('text', 'product_card', 'handoff_message')) AS message_count,
        coalesce(
            max(sent_at) FILTER (WHERE kind IN ('text', 'product_card', 'handoff_message')),
            min(sent_at)
        ) AS last_updated,
        last_value(sender ORDER BY sent_at, message_id)
            FILTER (WHERE kind IN ('text', 'product_card', 'handoff_message')) AS last_sender,
        first_value(body ORDER BY sent_at, message_id)
            FILTER (WHERE kind = 'text' AND sender = 'visitor') AS first_question,
        last_value(profile_id ORDER BY sent_at, message_id)
            FILTER (WHERE profile_id IS NOT NULL) AS profile_id,
        tag_union(tags) AS tags,
        first_value(skill ORDER BY sent_at, message_id)
            FILTER (WHERE sender = 'agent' AND skill IS NOT NULL) AS initial_skill,
        last_value(skill ORDER BY sent_at, message_id)
            FILTER (WHERE sender = 'agent' AND skill IS NOT NULL) AS final_skill,
        min(sent_at) FILTER (WHERE kind IN ('handoff_ticket', 'handoff_message')) AS handoff_at,
        first_value(escalation_reason ORDER BY sent_at, message_id)
            FILTER (WHERE kind IN ('handoff_ticket', 'handoff_message')) AS escalation_reason,
        min(sent_at) FILTER (WHERE kind = 'close') AS first_close_at,
        coalesce(bool_or(kind = 'handoff_ticket'), false) AS has_ticket,
        coalesce(bool_or(kind = 'handoff_message'), false) AS has_handoff_message,
        array_agg(sent_at ORDER BY sent_at, message_id)
            FILTER (WHERE sender = 'agent' AND kind IN ('text', 'product_card', 'handoff_message'))
            AS agent_message_times,
        array_agg(message_id ORDER BY sent_at, message_id)
            FILTER (WHERE sender = 'agent' AND kind IN ('text', 'product_card', 'handoff_message'))
            AS agent_message_ids
    FROM messages
    GROUP BY account_id, conversation_id
) AS f
LEFT JOIN accounts AS a ON a.account_id = f.account_id
LEFT JOIN profiles AS p ON p.account_id = f.account_id AND p.profile_id = f.profile_id
