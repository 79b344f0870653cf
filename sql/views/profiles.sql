-- @comment One row per shopper profile: the latest version by updated_at (NULL oldest) of each profile_id (docs/contract.md section 2).
-- @column profile_id: The profile's identifier.
-- @column account_id: The account (tenant) the row belongs to.
-- @column first_name: First name; may be NULL.
-- @column last_name: Last name; may be NULL.
-- @column email: E-mail address; may be NULL.
-- @column phone_number: Phone number; may be NULL.
-- @column updated_at: When this version of the profile was written (timestamptz, UTC).
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
