-- @comment One row per account, de-duplicated from raw.accounts; time zone validated (docs/contract.md section 2).
-- @column account_id: The account's identifier.
-- @column name: The account's display name.
-- @column timezone: IANA time zone of the account; every date in reports is a local date in this zone.
-- @column currency: ISO 4217 code of the account's order values.
-- @column sms_click_window_hours: SMS attribution window after an SMS click, in hours; NULL means the default 120, 0 turns it off.
-- @column sms_receipt_window_hours: SMS attribution window after an agent SMS was received, in hours; NULL means the default 12, 0 turns it off.
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
