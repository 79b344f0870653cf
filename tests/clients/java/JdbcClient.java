// pgjdbc client of conversql's integration tests (tests/integration/drivers.rs).
// Usage: java -cp .:/usr/share/java/postgresql.jar JdbcClient MODE PORT ACCOUNT START END
// MODE is one of:
//   meta   - DatabaseMetaData (schemas, tables, columns, type info), a PreparedStatement
//            of overview(?, ?, ?) and a read of conversations;
//   fetch  - setFetchSize with autocommit off: a portal read in batches;
//   cancel - Statement.cancel and setQueryTimeout (both a CancelRequest) on a long query;
//   timeout - the server's statement_timeout on a long query, then a short one.
// Prints one JSON object on stdout; the Rust test checks the values.

import java.lang.reflect.Field;
import java.sql.*;
import java.util.*;

public class JdbcClient {
    static StringBuilder out = new StringBuilder("{");
    static boolean first = true;

    static String quote(Object v) {
        if (v == null) return "null";
        if (v instanceof Number || v instanceof Boolean) return v.toString();
        String s = v.toString();
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static String list(List<?> items) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) b.append(',');
            Object o = items.get(i);
            b.append(o instanceof List ? list((List<?>) o) : o instanceof RawJson ? o.toString() : quote(o));
        }
        return b.append(']').toString();
    }

    record RawJson(String json) {
        public String toString() { return json; }
    }

    static void put(String key, Object value) {
        if (!first) out.append(',');
        first = false;
        out.append(quote(key)).append(':');
        out.append(value instanceof List ? list((List<?>) value) : value instanceof RawJson ? value.toString() : quote(value));
    }

    static List<List<Object>> rows(ResultSet rs, String... columns) throws SQLException {
        List<List<Object>> all = new ArrayList<>();
        while (rs.next()) {
            List<Object> row = new ArrayList<>();
            for (String c : columns) row.add(rs.getObject(c));
            all.add(row);
        }
        rs.close();
        return all;
    }

    static RawJson error(SQLException e) {
        return new RawJson("{\"sqlstate\":" + quote(e.getSQLState()) + ",\"message\":" + quote(e.getMessage()) + "}");
    }

    static void meta(Connection conn, String account, String start, String end) throws SQLException {
        DatabaseMetaData md = conn.getMetaData();
        put("product", md.getDatabaseProductName());
        put("product_version", md.getDatabaseProductVersion());
        put("schemas", rows(md.getSchemas(), "TABLE_SCHEM"));
        put("tables", rows(md.getTables(null, "public", "%", new String[] {"TABLE", "VIEW"}), "TABLE_NAME", "TABLE_TYPE", "REMARKS"));
        put("columns", rows(md.getColumns(null, "public", "conversations", "%"),
                "COLUMN_NAME", "TYPE_NAME", "DATA_TYPE", "ORDINAL_POSITION", "REMARKS"));
        put("type_info", rows(md.getTypeInfo(), "TYPE_NAME", "DATA_TYPE"));

        try (PreparedStatement ps = conn.prepareStatement("SELECT * FROM overview(?, ?, ?)")) {
            ps.setString(1, account);
            ps.setDate(2, java.sql.Date.valueOf(start));
            ps.setDate(3, java.sql.Date.valueOf(end));
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData m = rs.getMetaData();
                List<List<Object>> cols = new ArrayList<>();
                for (int i = 1; i <= m.getColumnCount(); i++) cols.add(List.of(m.getColumnName(i), m.getColumnTypeName(i)));
                put("overview_columns", cols);
                List<Object> row = new ArrayList<>();
                if (rs.next()) {
                    row.add(rs.getLong(1));
                    row.add(rs.getLong(2));
                    row.add(rs.getDouble(3));
                    row.add(rs.getBigDecimal(4).toPlainString());
                }
                put("overview", row);
            }
        }

        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT conversation_id, status, started_date, message_count, tags FROM conversations "
                        + "WHERE account_id = ? ORDER BY conversation_id")) {
            ps.setString(1, account);
            List<List<Object>> page = new ArrayList<>();
            int count = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    count++;
                    if (page.size() < 5) {
                        Array tags = rs.getArray(5);
                        List<Object> tagList = new ArrayList<>();
                        if (tags != null) tagList.addAll(Arrays.asList((Object[]) tags.getArray()));
                        page.add(List.of(rs.getString(1), rs.getString(2), rs.getDate(3).toString(), rs.getLong(4), tagList));
                    }
                }
            }
            put("conversations_count", count);
            put("conversations_first", page);
        }
    }

    static Object field(Object target, String name) {
        for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(target);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (IllegalAccessException e) {
                throw new RuntimeException(e);
            }
        }
        throw new RuntimeException("no field " + name + " in " + target.getClass());
    }

    static void fetch(Connection conn, String account) throws SQLException {
        conn.setAutoCommit(false);
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT conversation_id FROM conversation_messages WHERE account_id = ? ORDER BY conversation_id")) {
            ps.setFetchSize(50);
            ps.setString(1, account);
            List<Object> batches = new ArrayList<>();
            int total = 0;
            try (ResultSet rs = ps.executeQuery()) {
                Object lastBuffer = null;
                while (rs.next()) {
                    total++;
                    // pgjdbc keeps the current batch in PgResultSet.rows and fetches the next
                    // one from the open portal when it runs out; record each batch's size.
                    Object buffer = field(rs, "rows");
                    if (buffer != lastBuffer) {
                        batches.add(((List<?>) buffer).size());
                        lastBuffer = buffer;
                    }
                }
            }
            put("batches", batches);
            put("total", total);
        }
        conn.commit();
    }

    static final String LONG_QUERY = "SELECT count(*) FROM conversation_messages a CROSS JOIN conversation_messages b "
            + "CROSS JOIN conversation_messages c";

    /** Runs the long query on its own connection; gives up (and aborts the connection) after 15 s. */
    static RawJson runLong(String url, java.util.Properties props, String setup, java.util.function.Consumer<Statement> arm,
            String after) throws Exception {
        Connection conn = DriverManager.getConnection(url, props);
        Statement st = conn.createStatement();
        if (setup != null) st.execute(setup);
        arm.accept(st);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        long t0 = System.nanoTime();
        java.util.concurrent.Future<String> outcome = pool.submit(() -> {
            try {
                st.executeQuery(LONG_QUERY).close();
                return "{\"completed\":true}";
            } catch (SQLException e) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                return "{\"sqlstate\":" + quote(e.getSQLState()) + ",\"message\":" + quote(e.getMessage())
                        + ",\"elapsed_ms\":" + ms + "}";
            }
        });
        String result;
        try {
            result = outcome.get(15, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            conn.abort(pool);
            return new RawJson("{\"not_stopped_after_ms\":15000}");
        }
        if (after != null) {
            // The connection stays usable after the query stopped.
            try (Statement s2 = conn.createStatement(); ResultSet rs = s2.executeQuery(after)) {
                rs.next();
                result = result.substring(0, result.length() - 1) + ",\"after\":" + rs.getInt(1) + "}";
            } catch (SQLException e) {
                result = result.substring(0, result.length() - 1) + ",\"after\":" + error(e) + "}";
            }
        }
        conn.close();
        return new RawJson(result);
    }

    static void cancel(String url, java.util.Properties props) throws Exception {
        // Each case gets its own connection and at most 15 s, so a server that ignores
        // one mechanism does not hide how the others behave.
        put("cancel", runLong(url, props, null, st -> {
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(1000);
                    st.cancel();
                } catch (Exception e) {
                    // reported by the query's own outcome
                }
            });
            t.setDaemon(true);
            t.start();
        }, "SELECT 1 + 1"));
        put("query_timeout", runLong(url, props, null, st -> {
            try {
                st.setQueryTimeout(1);
            } catch (SQLException e) {
                throw new RuntimeException(e);
            }
        }, null));
    }

    static void timeout(String url, java.util.Properties props) throws Exception {
        put("statement_timeout", runLong(url, props, "SET statement_timeout = 1000", st -> {}, "SELECT 1 + 1"));
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String url = "jdbc:postgresql://127.0.0.1:" + args[1] + "/conversql";
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", "analyst");
        props.setProperty("password", "");
        props.setProperty("sslmode", "disable");
        String account = args[2];
        if (mode.equals("cancel")) {
            cancel(url, props);
        } else if (mode.equals("timeout")) {
            timeout(url, props);
        } else {
            try (Connection conn = DriverManager.getConnection(url, props)) {
                if (mode.equals("meta")) meta(conn, account, args[3], args[4]);
                else if (mode.equals("fetch")) fetch(conn, account);
                else throw new IllegalArgumentException("unknown mode " + mode);
            }
        }
        out.append('}');
        System.out.println(out);
    }
}
