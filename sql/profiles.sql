-- profiles: one row per (account_id, profile_id); the latest updated_at wins
-- (NULL is oldest; ties go to the later file, then to the row's content).
CREATE VIEW profiles AS
SELECT profile_id, account_id, first_name, last_name, email, phone_number, updated_at
FROM (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY account_id, profile_id
            ORDER BY updated_at DESC NULLS LAST, source_file DESC,
                     first_name, last_name, email, phone_number
        ) AS version_rank
    FROM raw.profiles
) AS ranked
WHERE version_rank = 1;
