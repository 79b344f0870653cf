//! conversql's custom SQL functions for DataFusion.
//!
//! They encode the data contract of the conversations of an AI customer agent:
//! local calendar dates, the 48-hour auto-close, resolution statuses and
//! revenue attribution windows. Every function is stateless (the analysis
//! instant of `as_of()` travels in the session configuration), so the same
//! definitions can run on a distributed engine.
//!
//! Scalar functions:
//! - `local_date(ts, zone) -> Date32`: the calendar date of an instant in an
//!   IANA time zone ([`LocalDateFunc`]).
//! - `checked_time_zone(zone, account_id) -> Utf8`: `zone` if it is a valid
//!   time zone, an error naming the account otherwise
//!   ([`CheckedTimeZoneFunc`]).
//! - `conversation_closed_at(first_close_at, last_updated, as_of) -> Timestamp`:
//!   the explicit close or the 48-hour auto-close, whichever is first
//!   ([`ConversationClosedAtFunc`]).
//! - `conversation_status(has_ticket, has_handoff_message, closed_at, last_sender) -> Utf8`:
//!   'Routed', 'Closed', 'Open' or 'Resolved' ([`ConversationStatusFunc`]).
//! - `attribution_window_hours(touch, sms_click_window_hours, sms_receipt_window_hours) -> Int32`:
//!   a touch point's attribution window ([`AttributionWindowHoursFunc`]).
//! - `in_attribution_window(touch_at, placed_at, window_hours) -> Boolean`:
//!   whether an order falls in that window ([`InAttributionWindowFunc`]).
//! - `touch_priority(touch) -> Int32`: the last-touch tie-break rank
//!   ([`TouchPriorityFunc`]).
//! - `as_of() -> Timestamp`: the analysis instant T, from the session option
//!   `conversql.as_of` or the query start time ([`AsOfFunc`]).
//!
//! PostgreSQL's array semantics (see [`array_literal`]):
//! - `pg_array_in(text) -> List(Utf8)`: PostgreSQL's array input syntax
//!   ([`PgArrayInFunc`]); casts of text to arrays are planned with it.
//! - `pg_array_contains(a, b) -> Boolean`: `a @> b` ([`PgArrayContainsFunc`]).
//! - `pg_array_overlap(a, b) -> Boolean`: `a && b` ([`PgArrayOverlapFunc`]).
//! - `pg_any_equal(array, x) -> Boolean`: `x = ANY(array)` with PostgreSQL's
//!   NULLs ([`PgAnyEqualFunc`]).
//! - `pg_array_length(array, dim) -> Int32`: PostgreSQL's `array_length`,
//!   ([`PgArrayLengthFunc`]).
//!
//! PostgreSQL's meaning under PostgreSQL's name, replacing DataFusion's
//! same-named function:
//! - `to_char(value, template) -> Utf8`: dates, timestamps, intervals and
//!   numbers formatted by PostgreSQL's template patterns ([`ToCharFunc`]).
//! - `date_part(field, source) -> Float64`: a field of a date, timestamp or
//!   interval, seconds with their fraction ([`DatePartFunc`]).
//! - `extract(field, source) -> Decimal128`: the same as PostgreSQL's
//!   `numeric`, what `EXTRACT(field FROM source)` is planned as ([`ExtractFunc`]).
//! - `timezone(zone, ts) -> Timestamp`: `ts AT TIME ZONE zone`, between
//!   instants and wall-clock times ([`TimezoneFunc`]).
//! - `to_date(text, template) -> Date32` and `to_timestamp(text, template)`,
//!   `to_timestamp(seconds) -> Timestamp`: text read by PostgreSQL's template
//!   patterns ([`ToDateFunc`], [`ToTimestampFunc`]).
//! - `date_trunc(field, source)`: a date read as `timestamptz`
//!   ([`PgDateTruncFunc`]).
//! - `justify_hours(interval)`: whole days out of 24 hours
//!   ([`JustifyHoursFunc`]); `timestamp - timestamp` is planned through it.
//!   `justify_days`, `justify_interval`: months out of 30 days
//!   ([`JustifyDaysFunc`], [`JustifyIntervalFunc`]).
//! - `int8pl`, `int8mi`, `int8mul(a, b) -> Int64`: `+`, `-`, `*` of bigints,
//!   22003 on overflow ([`Int8PlFunc`], [`Int8MiFunc`], [`Int8MulFunc`]);
//! - `int4pl`, `int4mi`, `int4mul(a, b) -> Int32`: the same for integers
//!   ([`Int4PlFunc`], [`Int4MiFunc`], [`Int4MulFunc`]);
//!   `float8div(a, b) -> Float64`: `/` of doubles, 22012 on division by
//!   zero ([`Float8DivFunc`]). conversql plans those operators as them.
//! - `interval_mul(interval, factor)`, `interval_div(interval, factor)`:
//!   `interval * number` and `interval / number` ([`IntervalMulFunc`],
//!   [`IntervalDivFunc`]); conversql plans those operators as them.
//! - `mod(a, b)`, `div(a, b)`, `sign(x)`: PostgreSQL's remainder, integer
//!   quotient and sign ([`PgModFunc`], [`PgDivFunc`], [`PgSignFunc`]);
//!   `ceiling` and `every` are registered as aliases of `ceil` and `bool_and`.
//! - `numeric(x)`: the cast to `numeric` without a precision, keeping the
//!   value's scale ([`NumericCastFunc`]), and `numeric_cast_scale(x)` the
//!   places it shows ([`NumericCastScaleFunc`]); `numeric_div(a, a_scale, b,
//!   b_scale)` and `numeric_div_scale(…)`: PostgreSQL's quotient of numerics
//!   and its display scale ([`NumericDivFunc`], [`NumericDivScaleFunc`]);
//!   conversql plans `x::numeric` and `/` of numerics as them.
//! - `array_remove(array, element)`: every equal element removed, NULLs by a
//!   NULL element ([`ArrayRemoveFunc`]).
//! - `percentile_disc(fraction) WITHIN GROUP (ORDER BY x)` and `mode() WITHIN
//!   GROUP (ORDER BY x)`: PostgreSQL's ordered-set aggregates
//!   ([`PercentileDiscFunc`], [`ModeFunc`]).
//! - `quote_ident(name)`: `name` as an SQL identifier, quoted as PostgreSQL
//!   quotes key words ([`QuoteIdentFunc`]).
//! - `quote_literal(x)`, `quote_nullable(x)`: `x` as a string literal, NULL
//!   as NULL or as the text `NULL` ([`QuoteLiteralFunc`],
//!   [`QuoteNullableFunc`]).
//! - `format(formatstr, args...)`: PostgreSQL's `%s`, `%I`, `%L` formatting
//!   with positions and widths ([`PgFormatFunc`]).
//! - `width_bucket(operand, low, high, count) -> Int32`: the histogram
//!   bucket, exact for numerics ([`WidthBucketFunc`]).
//! - `make_date(year, month, day) -> Date32`: a negative year is BC, year 0
//!   an error ([`MakeDateFunc`]); `make_time(hour, min, sec) -> Time64`:
//!   seconds with a fraction ([`MakeTimeFunc`]).
//!
//! PostgreSQL's functions DataFusion lacks:
//! - `age(a, b)`, `age(a) -> Interval`: the difference of timestamps in
//!   years, months, days and time, field by field ([`AgeFunc`]).
//! - `make_timestamp(year, month, day, hour, min, sec) -> Timestamp`,
//!   `make_timestamptz(…[, zone])`: a timestamp from its fields, a negative
//!   year BC ([`MakeTimestampFunc`], [`MakeTimestamptzFunc`]).
//! - `make_interval(years, months, weeks, days, hours, mins, secs)`: an
//!   interval from its fields, each 0 by default ([`MakeIntervalFunc`]).
//!
//! Aggregate functions:
//! - `tag_union(tags) -> List(Utf8)`: the sorted, distinct union of lists of
//!   tags ([`TagUnionFunc`]).
//! - `avg(x)`: `numeric` for integers, as in PostgreSQL ([`PgAvgFunc`]).
//! - `sum(x)`: `numeric` for `bigint`, as in PostgreSQL ([`PgSumFunc`]).
//! - `var_pop`, `var_samp` (`variance`), `stddev_pop`, `stddev`
//!   (`stddev_samp`) of doubles, computed as PostgreSQL does
//!   ([`VarPopFunc`], [`VarSampFunc`], [`StddevPopFunc`], [`StddevFunc`]);
//!   of integers and numerics `numeric_variance(x, places, statistic)`, in
//!   `numeric` as PostgreSQL computes them, and `numeric_variance_scale(…)`
//!   the places of the answer ([`NumericVarianceFunc`],
//!   [`NumericVarianceScaleFunc`]); conversql plans those aggregates of
//!   integers and numerics as them.
//!
//! Window functions:
//! - `ntile(n)`: an `integer`, `n` read from the partition's first row, as
//!   in PostgreSQL ([`NtileFunc`]).
//!
//! Timestamps are accepted in any unit, with or without a time zone (none
//! means UTC); timestamps are returned as `Timestamp(Microsecond, "UTC")`.
//!
//! ```
//! use conversql_udfs::{register_all, register_options};
//! use datafusion::prelude::{SessionConfig, SessionContext};
//!
//! let mut config = SessionConfig::new();
//! register_options(&mut config);
//! let ctx = SessionContext::new_with_config(config);
//! register_all(&ctx);
//! ```

#![warn(missing_docs)]

pub mod age;
pub mod array_literal;
pub mod array_remove;
pub(crate) mod array_sets;
pub mod as_of;
pub mod attribution_window_hours;
pub mod avg;
mod checked_arithmetic;
pub mod checked_time_zone;
mod common;
pub mod conversation_closed_at;
pub mod conversation_status;
mod date_fields;
pub mod date_part;
pub mod date_trunc;
pub mod extract;
mod float8_accum;
pub mod float8div;
pub mod format;
pub mod in_attribution_window;
pub mod int4mi;
pub mod int4mul;
pub mod int4pl;
pub mod int8mi;
pub mod int8mul;
pub mod int8pl;
pub mod interval_div;
pub mod interval_mul;
pub mod justify_days;
pub mod justify_hours;
pub mod justify_interval;
pub mod local_date;
pub mod make_date;
pub mod make_interval;
pub mod make_time;
pub mod make_timestamp;
pub mod make_timestamptz;
pub mod mode;
pub mod ntile;
pub mod numeric_accum;
pub mod numeric_cast;
pub mod numeric_cast_scale;
pub mod numeric_div;
pub mod numeric_div_scale;
pub mod numeric_variance;
pub mod numeric_variance_scale;
pub mod options;
mod ordered_set;
pub mod percentile_disc;
pub mod pg_any_equal;
pub mod pg_array_contains;
pub mod pg_array_in;
pub mod pg_array_length;
pub mod pg_array_overlap;
pub mod pg_cbrt;
mod pg_datetime;
pub mod pg_div;
pub mod pg_factorial;
pub mod pg_mod;
pub mod pg_sign;
mod pg_template_input;
mod pg_text;
pub mod quote_ident;
pub mod quote_literal;
pub mod quote_nullable;
pub mod sql_error;
pub mod stddev;
pub mod stddev_pop;
pub mod substring_pattern;
pub mod sum;
pub mod tag_union;
pub mod timezone;
pub mod to_char;
pub mod to_date;
pub mod to_timestamp;
pub mod touch_priority;
pub mod var_pop;
pub mod var_samp;
pub mod width_bucket;

use std::sync::Arc;

use datafusion::execution::config::SessionConfig;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use datafusion::prelude::SessionContext;

pub use age::AgeFunc;
pub use array_remove::ArrayRemoveFunc;
pub use as_of::AsOfFunc;
pub use attribution_window_hours::AttributionWindowHoursFunc;
pub use avg::PgAvgFunc;
pub use checked_time_zone::CheckedTimeZoneFunc;
pub use conversation_closed_at::ConversationClosedAtFunc;
pub use conversation_status::ConversationStatusFunc;
pub use date_part::DatePartFunc;
pub use date_trunc::PgDateTruncFunc;
pub use extract::{ExtractFunc, ExtractPlanner};
pub use float8div::Float8DivFunc;
pub use format::PgFormatFunc;
pub use in_attribution_window::InAttributionWindowFunc;
pub use int4mi::Int4MiFunc;
pub use int4mul::Int4MulFunc;
pub use int4pl::Int4PlFunc;
pub use int8mi::Int8MiFunc;
pub use int8mul::Int8MulFunc;
pub use int8pl::Int8PlFunc;
pub use interval_div::IntervalDivFunc;
pub use interval_mul::IntervalMulFunc;
pub use justify_days::JustifyDaysFunc;
pub use justify_hours::JustifyHoursFunc;
pub use justify_interval::JustifyIntervalFunc;
pub use local_date::LocalDateFunc;
pub use make_date::MakeDateFunc;
pub use make_interval::MakeIntervalFunc;
pub use make_time::MakeTimeFunc;
pub use make_timestamp::MakeTimestampFunc;
pub use make_timestamptz::MakeTimestamptzFunc;
pub use mode::ModeFunc;
pub use ntile::NtileFunc;
pub use numeric_cast::NumericCastFunc;
pub use numeric_cast_scale::NumericCastScaleFunc;
pub use numeric_div::NumericDivFunc;
pub use numeric_div_scale::NumericDivScaleFunc;
pub use numeric_variance::NumericVarianceFunc;
pub use numeric_variance_scale::NumericVarianceScaleFunc;
pub use options::{
    ConversqlOptions, OnOff, OptionalInstant, format_instant, parse_instant, parse_on_off,
};
pub use percentile_disc::PercentileDiscFunc;
pub use pg_any_equal::PgAnyEqualFunc;
pub use pg_array_contains::PgArrayContainsFunc;
pub use pg_array_in::PgArrayInFunc;
pub use pg_array_length::PgArrayLengthFunc;
pub use pg_array_overlap::PgArrayOverlapFunc;
pub use pg_cbrt::PgCbrtFunc;
pub use pg_div::PgDivFunc;
pub use pg_factorial::PgFactorialFunc;
pub use pg_mod::PgModFunc;
pub use pg_sign::PgSignFunc;
pub use pg_text::quote_ident;
pub use quote_ident::QuoteIdentFunc;
pub use quote_literal::QuoteLiteralFunc;
pub use quote_nullable::QuoteNullableFunc;
pub use sql_error::SqlError;
pub use stddev::StddevFunc;
pub use stddev_pop::StddevPopFunc;
pub use substring_pattern::{SubstringPatternFunc, SubstringPlanner};
pub use sum::PgSumFunc;
pub use tag_union::{TagUnionAccumulator, TagUnionFunc};
pub use timezone::TimezoneFunc;
pub use to_char::ToCharFunc;
pub use to_date::ToDateFunc;
pub use to_timestamp::ToTimestampFunc;
pub use touch_priority::TouchPriorityFunc;
pub use var_pop::VarPopFunc;
pub use var_samp::VarSampFunc;
pub use width_bucket::WidthBucketFunc;

/// All conversql scalar functions.
pub fn scalar_udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(LocalDateFunc::new())),
        Arc::new(ScalarUDF::from(CheckedTimeZoneFunc::new())),
        Arc::new(ScalarUDF::from(ConversationClosedAtFunc::new())),
        Arc::new(ScalarUDF::from(ConversationStatusFunc::new())),
        Arc::new(ScalarUDF::from(AttributionWindowHoursFunc::new())),
        Arc::new(ScalarUDF::from(InAttributionWindowFunc::new())),
        Arc::new(ScalarUDF::from(TouchPriorityFunc::new())),
        Arc::new(ScalarUDF::from(AsOfFunc::new())),
        Arc::new(ScalarUDF::from(PgArrayInFunc::new())),
        Arc::new(ScalarUDF::from(PgArrayContainsFunc::new())),
        Arc::new(ScalarUDF::from(PgArrayOverlapFunc::new())),
        Arc::new(ScalarUDF::from(PgAnyEqualFunc::new())),
        Arc::new(ScalarUDF::from(PgArrayLengthFunc::new())),
        Arc::new(ScalarUDF::from(ToCharFunc::new())),
        Arc::new(ScalarUDF::from(DatePartFunc::new())),
        Arc::new(ScalarUDF::from(ExtractFunc::new())),
        Arc::new(ScalarUDF::from(TimezoneFunc::new())),
        Arc::new(ScalarUDF::from(ToDateFunc::new())),
        Arc::new(ScalarUDF::from(ToTimestampFunc::new())),
        Arc::new(ScalarUDF::from(ArrayRemoveFunc::new())),
        Arc::new(ScalarUDF::from(PgDateTruncFunc::new())),
        Arc::new(ScalarUDF::from(JustifyHoursFunc::new())),
        Arc::new(ScalarUDF::from(JustifyDaysFunc::new())),
        Arc::new(ScalarUDF::from(JustifyIntervalFunc::new())),
        Arc::new(ScalarUDF::from(Int4PlFunc::new())),
        Arc::new(ScalarUDF::from(Int4MiFunc::new())),
        Arc::new(ScalarUDF::from(Int4MulFunc::new())),
        Arc::new(ScalarUDF::from(Int8PlFunc::new())),
        Arc::new(ScalarUDF::from(Int8MiFunc::new())),
        Arc::new(ScalarUDF::from(Int8MulFunc::new())),
        Arc::new(ScalarUDF::from(Float8DivFunc::new())),
        Arc::new(ScalarUDF::from(PgModFunc::new())),
        Arc::new(ScalarUDF::from(IntervalMulFunc::new())),
        Arc::new(ScalarUDF::from(IntervalDivFunc::new())),
        Arc::new(ScalarUDF::from(PgDivFunc::new())),
        Arc::new(ScalarUDF::from(NumericCastFunc::new())),
        Arc::new(ScalarUDF::from(NumericCastScaleFunc::new())),
        Arc::new(ScalarUDF::from(NumericDivFunc::new())),
        Arc::new(ScalarUDF::from(NumericDivScaleFunc::new())),
        Arc::new(ScalarUDF::from(PgSignFunc::new())),
        Arc::new(ScalarUDF::from(PgCbrtFunc::new())),
        Arc::new(ScalarUDF::from(PgFactorialFunc::new())),
        Arc::new(ScalarUDF::from(SubstringPatternFunc::new())),
        Arc::new(ScalarUDF::from(QuoteIdentFunc::new())),
        Arc::new(ScalarUDF::from(QuoteLiteralFunc::new())),
        Arc::new(ScalarUDF::from(QuoteNullableFunc::new())),
        Arc::new(ScalarUDF::from(PgFormatFunc::new())),
        Arc::new(ScalarUDF::from(WidthBucketFunc::new())),
        Arc::new(ScalarUDF::from(AgeFunc::new())),
        Arc::new(ScalarUDF::from(MakeDateFunc::new())),
        Arc::new(ScalarUDF::from(MakeTimestampFunc::new())),
        Arc::new(ScalarUDF::from(MakeTimestamptzFunc::new())),
        Arc::new(ScalarUDF::from(MakeIntervalFunc::new())),
        Arc::new(ScalarUDF::from(MakeTimeFunc::new())),
    ]
}

/// The expression planners that plan SQL syntax as conversql's functions
/// (`EXTRACT` as [`ExtractFunc`]), to be placed before DataFusion's own.
pub fn expr_planners() -> Vec<Arc<dyn datafusion::logical_expr::planner::ExprPlanner>> {
    vec![Arc::new(ExtractPlanner), Arc::new(SubstringPlanner)]
}

/// All conversql aggregate functions.
pub fn aggregate_udfs() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::from(TagUnionFunc::new())),
        Arc::new(AggregateUDF::from(PgAvgFunc::new())),
        Arc::new(AggregateUDF::from(PgSumFunc::new())),
        Arc::new(AggregateUDF::from(VarPopFunc::new())),
        Arc::new(AggregateUDF::from(VarSampFunc::new())),
        Arc::new(AggregateUDF::from(StddevPopFunc::new())),
        Arc::new(AggregateUDF::from(StddevFunc::new())),
        Arc::new(AggregateUDF::from(NumericVarianceFunc::new())),
        Arc::new(AggregateUDF::from(NumericVarianceScaleFunc::new())),
        Arc::new(AggregateUDF::from(PercentileDiscFunc::new())),
        Arc::new(AggregateUDF::from(ModeFunc::new())),
    ]
}

/// All conversql window functions.
pub fn window_udfs() -> Vec<Arc<WindowUDF>> {
    vec![Arc::new(WindowUDF::from(NtileFunc::new()))]
}

/// Adds the `conversql.*` settings ([`ConversqlOptions`], at their
/// defaults) to a session configuration, unless they are already there.
/// Needed for `SET conversql.as_of = ...`.
pub fn register_options(config: &mut SessionConfig) {
    ConversqlOptions::of_mut(config);
}

/// The analysis instant `conversql.as_of` of a session configuration, in
/// microseconds since the epoch (UTC); `None` if unset (or if the options
/// were never registered), meaning `as_of()` is the query start time.
pub fn get_as_of(config: &SessionConfig) -> Option<i64> {
    ConversqlOptions::of(config).as_of()
}

/// Sets (or, with `None`, clears) `conversql.as_of` in a session
/// configuration, registering the options first if needed.
pub fn set_as_of(config: &mut SessionConfig, as_of: Option<i64>) {
    ConversqlOptions::of_mut(config).as_of = OptionalInstant(as_of);
}

/// Builder form of [`register_options`].
pub fn with_options(mut config: SessionConfig) -> SessionConfig {
    register_options(&mut config);
    config
}

/// Registers every conversql function with `ctx`, and the `conversql.*`
/// options with its configuration if they are missing (see
/// [`register_options`]).
///
/// A function that replaces one of DataFusion's of the same name (`to_char`,
/// `date_part`) first removes DataFusion's with its aliases (`date_format`,
/// `datepart`): an alias left behind would keep DataFusion's function in the
/// registry, and a session state rebuilt from the registry's entries
/// (`SessionStateBuilder::new_from_existing`) would register it again under
/// its own name, in hash order.
pub fn register_all(ctx: &SessionContext) {
    for udf in scalar_udfs() {
        if ctx
            .state_ref()
            .read()
            .scalar_functions()
            .contains_key(udf.name())
        {
            ctx.deregister_udf(udf.name());
        }
        ctx.register_udf(udf.as_ref().clone());
    }
    for udaf in aggregate_udfs() {
        if ctx
            .state_ref()
            .read()
            .aggregate_functions()
            .contains_key(udaf.name())
        {
            ctx.deregister_udaf(udaf.name());
        }
        ctx.register_udaf(udaf.as_ref().clone());
    }
    for udwf in window_udfs() {
        if ctx
            .state_ref()
            .read()
            .window_functions()
            .contains_key(udwf.name())
        {
            ctx.deregister_udwf(udwf.name());
        }
        ctx.register_udwf(udwf.as_ref().clone());
    }
    register_aliases(ctx);
    let state = ctx.state_ref();
    let mut state = state.write();
    register_options(state.config_mut());
}

/// PostgreSQL's other names of DataFusion's functions with the same meaning:
/// `ceiling` (`ceil`) and `every` (`bool_and`).
fn register_aliases(ctx: &SessionContext) {
    use datafusion::execution::FunctionRegistry;
    if let Ok(ceil) = ctx.udf("ceil") {
        ctx.register_udf(ceil.as_ref().clone().with_aliases(["ceiling"]));
    }
    if let Ok(bool_and) = ctx.udaf("bool_and") {
        ctx.register_udaf(bool_and.as_ref().clone().with_aliases(["every"]));
    }
}
