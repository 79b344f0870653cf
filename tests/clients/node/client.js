// node-postgres (pg + pg-cursor) client of conversql's integration tests (tests/integration/drivers.rs).
// Usage: node client.js MODE PORT ACCOUNT START END
//   meta   - schemas, tables and views, columns of conversations, overview($1, $2, $3)
//            with bound parameters, a read of conversations;
//   cursor - a pg-cursor (a portal read with a row limit per Execute) over conversation_messages.
// Prints one JSON object on stdout; the Rust test checks the values.
'use strict';
const { Client } = require('pg');
const Cursor = require('pg-cursor');

const [mode, port, account, start, end] = process.argv.slice(2);

async function meta(client) {
  const out = {};
  out.schemas = (await client.query(
    'SELECT schema_name FROM information_schema.schemata ORDER BY schema_name')).rows.map((r) => r.schema_name);
  out.tables = (await client.query(
    `SELECT table_name, table_type FROM information_schema.tables
     WHERE table_schema = $1 ORDER BY table_name`, ['public'])).rows.map((r) => [r.table_name, r.table_type]);
  out.relkinds = (await client.query(
    `SELECT c.relname, c.relkind FROM pg_catalog.pg_class c
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 ORDER BY c.relname`, ['public'])).rows.map((r) => [r.relname, r.relkind]);
  out.columns = (await client.query(
    `SELECT column_name, data_type FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    ['public', 'conversations'])).rows.map((r) => [r.column_name, r.data_type]);
  const overview = await client.query({
    text: 'SELECT * FROM overview($1, $2, $3)',
    values: [account, start, end],
  });
  out.overview_fields = overview.fields.map((f) => [f.name, f.dataTypeID]);
  out.overview = overview.rows.map((r) => [r.total_volume, r.resolved_by_ai, r.percent_resolved_by_ai, r.ai_generated_sales]);
  // No binary-format check here: pg-protocol 1.x reads every DataRow field as UTF-8 text
  // ("Binary mode not supported yet" in its parser), so node-postgres' `binary: true`
  // corrupts bytes >= 0x80 against any server. node-postgres is a text-format client.
  const convs = await client.query(
    `SELECT conversation_id, status, started_date, message_count, tags FROM conversations
     WHERE account_id = $1 ORDER BY conversation_id`, [account]);
  out.conversations_count = convs.rowCount;
  out.conversations_first = convs.rows.slice(0, 5).map((r) => [
    r.conversation_id, r.status,
    r.started_date instanceof Date ? r.started_date.toISOString() : r.started_date,
    r.message_count, r.tags]);
  return out;
}

function read(cursor, n) {
  return new Promise((resolve, reject) => cursor.read(n, (err, rows) => (err ? reject(err) : resolve(rows))));
}

async function cursor(client) {
  await client.query('BEGIN');
  const cur = client.query(new Cursor(
    'SELECT conversation_id FROM conversation_messages WHERE account_id = $1 ORDER BY conversation_id', [account]));
  const batches = [];
  let total = 0;
  for (;;) {
    const rows = await read(cur, 50);
    if (rows.length === 0) break;
    batches.push(rows.length);
    total += rows.length;
  }
  await new Promise((resolve) => cur.close(resolve));
  await client.query('COMMIT');
  const after = await client.query('SELECT 1 + 1 AS two');
  return { batches, total, after: Number(after.rows[0].two) };
}

(async () => {
  const client = new Client({ host: '127.0.0.1', port: Number(port), user: 'analyst', database: 'conversql' });
  await client.connect();
  try {
    const out = mode === 'meta' ? await meta(client) : await cursor(client);
    process.stdout.write(JSON.stringify(out));
  } finally {
    await client.end();
  }
})().catch((e) => {
  process.stderr.write(`${e.code || ''} ${e.stack}\n`);
  process.exit(1);
});
