-- accounts: one row per account as written, with the time zone checked.
-- An unknown IANA zone fails any query that needs it, naming the account and the zone.
CREATE VIEW accounts AS
SELECT
    account_id,
    name,
    checked_time_zone(timezone, account_id) AS timezone,
    currency,
    sms_click_window_hours,
    sms_receipt_window_hours
FROM raw.accounts;
