-- Escalations of the week by reason, per account (local dates of each account).
SELECT
    account_id,
    coalesce(escalation_reason, 'unknown') AS escalation_reason,
    count(*) AS escalations,
    count(DISTINCT profile_id) AS profiles
FROM customer_agent_events
WHERE metric = 'Conversation with Customer Agent Escalated'
  AND occurred_date BETWEEN DATE :'start_date' AND DATE :'end_date'
GROUP BY account_id, coalesce(escalation_reason, 'unknown')
ORDER BY account_id, escalations DESC, escalation_reason;
