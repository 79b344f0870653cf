-- @comment One row per profile that received a product recommendation and placed no order after its latest one, as of T (docs/contract.md section 8).
-- @column account_id: The account (tenant) the row belongs to.
-- @column profile_id: The profile.
-- @column last_recommended_at: When the profile last received a recommendation.
-- segment_recommended_not_purchased: profiles that received a product
-- recommendation and, as of T, have placed no order after their latest one
-- (only recommendations and orders at or before T count).
CREATE VIEW segment_recommended_not_purchased AS
SELECT r.account_id, r.profile_id, r.last_recommended_at
FROM (
    SELECT account_id, profile_id, max(occurred_at) AS last_recommended_at
    FROM customer_agent_events
    WHERE metric = 'Received Product Recommendation from Customer Agent'
      AND profile_id IS NOT NULL
      AND occurred_at <= as_of()
    GROUP BY account_id, profile_id
) AS r
WHERE NOT EXISTS (
    SELECT 1
    FROM events AS o
    WHERE o.metric = 'Placed Order'
      AND o.account_id = r.account_id
      AND o.profile_id = r.profile_id
      AND o.occurred_at > r.last_recommended_at
      AND o.occurred_at <= as_of()
);
