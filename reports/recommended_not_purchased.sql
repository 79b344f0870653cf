-- Profiles of one account that received a product recommendation and have not
-- ordered since (as of the run's instant), with their contact details.
SELECT s.account_id, s.profile_id, p.email, p.phone_number, s.last_recommended_at
FROM segment_recommended_not_purchased AS s
LEFT JOIN profiles AS p ON p.account_id = s.account_id AND p.profile_id = s.profile_id
WHERE s.account_id = :'account_id'
ORDER BY s.last_recommended_at DESC, s.profile_id;
