"""The fixed benchmark suite: the questions analysts ask, for conversql and for DuckDB.

Each question is asked of both engines in their own SQL (of DuckDB twice: over the raw
files, and over tables materialised from them with the same head start as conversql's fact
store); benches/run.py checks that the answers are the same. conversql is asked through its SQL surface (views and table
functions, docs/decisions.md); DuckDB through the views of benches/duckdb_views.sql, which follow
the same rules. Dates, the account and the conversation are fixed so runs are comparable.
"""

from dataclasses import dataclass

#: The instant T of every session (README's example instant; the data ends 2026-06-07).
AS_OF = "2026-06-08T12:00:00Z"
#: The account asked about: the largest one (account sizes fall off as 1/(i+1)^0.7).
ACCOUNT = "acc_001"
#: "Last 30 days" as of T in acc_001's zone (America/New_York: T is 2026-06-08 08:00 there).
FROM, TO = "2026-05-10", "2026-06-08"
#: One conversation whose thread is read.
CONVERSATION = "conv_acc_001_000123"


@dataclass
class Query:
    """One question: its name, whether it is a dashboard query (100 ms target), and its SQL."""

    name: str
    conversql: str
    duckdb: str
    #: "dashboard" (≤ 100 ms), "thread" (≤ 50 ms) or "" (no latency target).
    target: str = ""
    #: A statement run on conversql's connection before the question (and undone after).
    setup: str = ""
    #: At most this many warm runs (a question that takes minutes).
    max_runs: int | None = None
    #: Asked of the raw-log peer only: a question about reading the raw files, which the
    #: peer with materialised tables does not do.
    raw_only: bool = False


def _daily_duckdb(group: str) -> str:
    """overview_daily for DuckDB: every date of the range × every group seen in it."""
    if group == "tag":
        counts = f"""
            SELECT started_date AS date, tag AS grp, count(*) AS conversations
            FROM (
                SELECT started_date,
                       unnest(CASE WHEN len(tags) = 0 THEN [NULL::VARCHAR] ELSE tags END) AS tag
                FROM conversations
                WHERE account_id = '{ACCOUNT}' AND started_date BETWEEN DATE '{FROM}' AND DATE '{TO}'
            )
            GROUP BY ALL"""
    else:
        counts = f"""
            SELECT started_date AS date, {group} AS grp, count(*) AS conversations
            FROM conversations
            WHERE account_id = '{ACCOUNT}' AND started_date BETWEEN DATE '{FROM}' AND DATE '{TO}'
            GROUP BY ALL"""
    return f"""
        WITH counts AS ({counts}),
        days AS (SELECT CAST(d AS DATE) AS date
                 FROM generate_series(DATE '{FROM}', DATE '{TO}', INTERVAL 1 DAY) AS s(d)),
        seen AS (SELECT DISTINCT grp FROM counts)
        SELECT d.date, g.grp AS "group", coalesce(c.conversations, 0) AS conversations
        FROM days AS d CROSS JOIN seen AS g
        LEFT JOIN counts AS c ON c.date = d.date AND c.grp IS NOT DISTINCT FROM g.grp
        ORDER BY d.date, g.grp NULLS LAST"""


def _page(where: str, columns: str) -> tuple[str, str]:
    sql = f"""
        SELECT {columns}
        FROM conversations
        WHERE account_id = '{ACCOUNT}' AND {where}
        ORDER BY last_updated DESC, conversation_id
        LIMIT 50"""
    return sql, sql


_PAGE_COLUMNS = ("conversation_id, first_question, profile, channel, status, tags, "
                 "message_count, last_updated")

_ROLLUP_CONVERSQL = """
    SELECT status, channel, count(*) AS conversations, sum(message_count) AS messages,
           count(first_question) AS with_question, count(profile_id) AS identified,
           count(*) FILTER (WHERE profile = 'Anonymous') AS anonymous,
           CAST(sum(cardinality(tags)) AS BIGINT) AS tag_uses, count(closed_at) AS closed,
           count(handoff_at) AS handed_off, count(final_skill) AS with_skill
    FROM conversations
    GROUP BY status, channel
    ORDER BY status, channel"""
_ROLLUP_DUCKDB = _ROLLUP_CONVERSQL.replace("cardinality(tags)", "len(tags)")


def _segment(view: str, column: str) -> str:
    return f"""
        SELECT count(*) AS profiles, min(profile_id) AS first_profile,
               max(profile_id) AS last_profile, max({column}) AS latest
        FROM {view}
        WHERE account_id = '{ACCOUNT}'"""


SALES = f"""
    SELECT channel, count(*) AS orders, sum(value) AS sales
    FROM attributed_orders
    WHERE account_id = '{ACCOUNT}' AND placed_date BETWEEN DATE '{FROM}' AND DATE '{TO}'
    GROUP BY channel
    ORDER BY channel"""

OVERVIEW_DUCKDB = f"""
    SELECT v.total_volume, v.resolved_by_ai,
           CASE WHEN v.total_volume = 0 THEN NULL
                ELSE CAST(v.resolved_by_ai AS DOUBLE) / CAST(v.total_volume AS DOUBLE) * 100.0
           END AS percent_resolved_by_ai,
           s.ai_generated_sales
    FROM (SELECT count(*) AS total_volume,
                 count(*) FILTER (WHERE status = 'Resolved') AS resolved_by_ai
          FROM conversations
          WHERE account_id = '{ACCOUNT}' AND started_date BETWEEN DATE '{FROM}' AND DATE '{TO}') AS v
    CROSS JOIN (SELECT CAST(coalesce(sum(value), 0) AS DECIMAL(38, 2)) AS ai_generated_sales
                FROM attributed_orders
                WHERE account_id = '{ACCOUNT}'
                  AND placed_date BETWEEN DATE '{FROM}' AND DATE '{TO}') AS s"""

THREAD = f"""
    SELECT message_id, sent_at, sender, kind, body, skill, product_ids, tags, escalation_reason
    FROM conversation_messages
    WHERE account_id = '{ACCOUNT}' AND conversation_id = '{CONVERSATION}'
    ORDER BY sent_at, message_id"""

SUITE = [
    Query("overview (30 days)",
          f"SELECT * FROM overview('{ACCOUNT}', '{FROM}', '{TO}')", OVERVIEW_DUCKDB, "dashboard"),
    *[
        Query(f"daily by {g}",
              f"SELECT * FROM overview_daily('{ACCOUNT}', '{FROM}', '{TO}', '{g}')",
              _daily_duckdb(g), "dashboard")
        for g in ("channel", "status", "tag")
    ],
    Query("conversations page", *_page("status = 'Resolved'", _PAGE_COLUMNS), "dashboard"),
    Query("text search", *_page("first_question ILIKE '%damaged%'",
                                "conversation_id, first_question, status, last_updated")),
    Query("thread", THREAD, THREAD, "thread"),
    Query("AI sales by channel", SALES, SALES),
    Query("segment: recommended, not purchased",
          _segment("segment_recommended_not_purchased", "last_recommended_at"),
          _segment("segment_recommended_not_purchased", "last_recommended_at")),
    Query("segment: escalated last 7 days",
          _segment("segment_escalated_last_7_days", "last_escalated_at"),
          _segment("segment_escalated_last_7_days", "last_escalated_at")),
    Query("full rollup (all accounts)", _ROLLUP_CONVERSQL, _ROLLUP_DUCKDB),
    # The same rollup computed from the raw log, without the fact store.
    Query("full rollup, raw log (facts off)", _ROLLUP_CONVERSQL, _ROLLUP_DUCKDB,
          setup="SET conversql.facts = off", max_runs=1, raw_only=True),
]

#: The dashboard mix of the concurrency run: (name, SQL with {account}) for conversql.
DASHBOARD_MIX = [
    ("overview", "SELECT * FROM overview('{account}', '%s', '%s')" % (FROM, TO)),
    ("daily by channel",
     "SELECT * FROM overview_daily('{account}', '%s', '%s', 'channel')" % (FROM, TO)),
    ("daily by status",
     "SELECT * FROM overview_daily('{account}', '%s', '%s', 'status')" % (FROM, TO)),
    ("daily by tag", "SELECT * FROM overview_daily('{account}', '%s', '%s', 'tag')" % (FROM, TO)),
    ("conversations page",
     "SELECT " + _PAGE_COLUMNS + " FROM conversations WHERE account_id = '{account}' "
     "AND status = 'Resolved' ORDER BY last_updated DESC, conversation_id LIMIT 50"),
]
