-- @comment One row per profile with an Escalated event whose local date is in the last 7 days of T (docs/contract.md section 8).
-- @column account_id: The account (tenant) the row belongs to.
-- @column profile_id: The profile.
-- @column last_escalated_at: When the profile's latest escalation happened.
-- segment_escalated_last_7_days: profiles with an Escalated event whose local
-- date is in the last 7 days, [today - 6, today], today being the local date
-- of T in the account's zone.
CREATE VIEW segment_escalated_last_7_days AS
SELECT e.account_id, e.profile_id, max(e.occurred_at) AS last_escalated_at
FROM customer_agent_events AS e
JOIN accounts AS a ON a.account_id = e.account_id
WHERE e.metric = 'Conversation with Customer Agent Escalated'
  AND e.profile_id IS NOT NULL
  AND e.occurred_date BETWEEN local_date(as_of(), a.timezone) - INTERVAL '6' DAY
                          AND local_date(as_of(), a.timezone)
  -- Implied by the dates above (today's local midnight is less than a day
  -- before T, a zone's shifts change a day by at most one more), and on the
  -- instant alone, so the scan skips the files and row groups of older handoffs.
  AND e.occurred_at >= as_of() - INTERVAL '8' DAY
  AND e.occurred_at < as_of() + INTERVAL '2' DAY
GROUP BY e.account_id, e.profile_id;
