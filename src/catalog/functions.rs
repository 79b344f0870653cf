//! conversql's own functions as the Postgres catalog lists them (`pg_proc`,
//! psql's `\df`): the table functions of the SQL surface and the scalar and
//! aggregate functions the views are built from, with fixed oids.

/// One catalogued function.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// Its oid in `pg_proc`.
    pub oid: i32,
    /// SQL name.
    pub name: &'static str,
    /// `pg_get_function_arguments`: the arguments with their names and types.
    pub arguments: &'static str,
    /// Argument type oids (`proargtypes`).
    pub argument_types: &'static [i32],
    /// `pg_get_function_result`.
    pub result: &'static str,
    /// Result type oid (`prorettype`).
    pub result_type: i32,
    /// Whether it returns rows (a table function).
    pub returns_set: bool,
    /// `f` (function) or `a` (aggregate).
    pub kind: &'static str,
    /// Its comment (`obj_description(oid, 'pg_proc')`).
    pub description: &'static str,
}

const TEXT: i32 = 25;
const DATE: i32 = 1082;
const BOOL: i32 = 16;
const INT4: i32 = 23;
const RECORD: i32 = 2249;
const TIMESTAMPTZ: i32 = 1184;
const TEXT_ARRAY: i32 = 1009;

/// Every catalogued function. Oids start at 90000, far from the relation oids
/// the catalog hands out (from 16384, one per relation).
pub const FUNCTIONS: &[Function] = &[
    Function {
        oid: 90001,
        name: "overview",
        arguments: "account_id text, start_date date, end_date date",
        argument_types: &[TEXT, DATE, DATE],
        result: "TABLE(total_volume bigint, resolved_by_ai bigint, percent_resolved_by_ai double precision, ai_generated_sales numeric)",
        result_type: RECORD,
        returns_set: true,
        kind: "f",
        description: "The overview of an account for the inclusive local-date range [start_date, end_date]: Total Volume, Total Resolved by AI, Percent Resolved by AI (NULL when there is no conversation) and AI-generated sales (docs/contract.md section 7).",
    },
    Function {
        oid: 90002,
        name: "overview_daily",
        arguments: "account_id text, start_date date, end_date date, group_by text",
        argument_types: &[TEXT, DATE, DATE, TEXT],
        result: "TABLE(date date, \"group\" text, conversations bigint)",
        result_type: RECORD,
        returns_set: true,
        kind: "f",
        description: "Daily conversation counts of an account for every local date of [start_date, end_date], grouped by 'channel', 'status' or 'tag'; one row per group seen anywhere in the range, 0 where none (docs/contract.md section 7).",
    },
    Function {
        oid: 90003,
        name: "as_of",
        arguments: "",
        argument_types: &[],
        result: "timestamp with time zone",
        result_type: TIMESTAMPTZ,
        returns_set: false,
        kind: "f",
        description: "The session's analysis instant T: SET conversql.as_of, else the query's start time.",
    },
    Function {
        oid: 90004,
        name: "local_date",
        arguments: "ts timestamp with time zone, zone text",
        argument_types: &[TIMESTAMPTZ, TEXT],
        result: "date",
        result_type: DATE,
        returns_set: false,
        kind: "f",
        description: "The calendar date of an instant in an IANA time zone, daylight saving included.",
    },
    Function {
        oid: 90005,
        name: "conversation_status",
        arguments: "has_ticket boolean, has_handoff_message boolean, closed_at timestamp with time zone, last_sender text",
        argument_types: &[BOOL, BOOL, TIMESTAMPTZ, TEXT],
        result: "text",
        result_type: TEXT,
        returns_set: false,
        kind: "f",
        description: "The status of a conversation by the five-step rule: Routed, Closed, Open, Resolved or Closed (docs/contract.md section 3).",
    },
    Function {
        oid: 90006,
        name: "conversation_closed_at",
        arguments: "first_close_at timestamp with time zone, last_updated timestamp with time zone, as_of timestamp with time zone",
        argument_types: &[TIMESTAMPTZ, TIMESTAMPTZ, TIMESTAMPTZ],
        result: "timestamp with time zone",
        result_type: TIMESTAMPTZ,
        returns_set: false,
        kind: "f",
        description: "When a conversation closed: the first close, or last_updated + 48 hours once that is at or before T.",
    },
    Function {
        oid: 90007,
        name: "attribution_window_hours",
        arguments: "touch text, sms_click_window_hours integer, sms_receipt_window_hours integer",
        argument_types: &[TEXT, INT4, INT4],
        result: "integer",
        result_type: INT4,
        returns_set: false,
        kind: "f",
        description: "The attribution window of a touch point in hours (web chat click 24; SMS windows from the account, NULL meaning the default).",
    },
    Function {
        oid: 90008,
        name: "in_attribution_window",
        arguments: "touch_at timestamp with time zone, placed_at timestamp with time zone, window_hours integer",
        argument_types: &[TIMESTAMPTZ, TIMESTAMPTZ, INT4],
        result: "boolean",
        result_type: BOOL,
        returns_set: false,
        kind: "f",
        description: "Whether an order placed at placed_at falls in the window after a touch: touch_at < placed_at <= touch_at + window.",
    },
    Function {
        oid: 90009,
        name: "touch_priority",
        arguments: "touch text",
        argument_types: &[TEXT],
        result: "integer",
        result_type: INT4,
        returns_set: false,
        kind: "f",
        description: "The last-touch tie-break rank of a touch point: clicks beat receipts.",
    },
    Function {
        oid: 90010,
        name: "checked_time_zone",
        arguments: "zone text, account_id text",
        argument_types: &[TEXT, TEXT],
        result: "text",
        result_type: TEXT,
        returns_set: false,
        kind: "f",
        description: "An account's IANA time zone, validated (an unknown zone is an error naming the account).",
    },
    Function {
        oid: 90011,
        name: "tag_union",
        arguments: "tags text[]",
        argument_types: &[TEXT_ARRAY],
        result: "text[]",
        result_type: TEXT_ARRAY,
        returns_set: false,
        kind: "a",
        description: "Aggregate: the sorted, distinct union of lists of tags (empty list if none).",
    },
];

/// The function with this oid.
pub fn by_oid(oid: i32) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.oid == oid)
}
