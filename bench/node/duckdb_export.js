#!/usr/bin/env node
// DuckDB peer for bench/export.sh: the same interaction rows as the sqlite3 baseline, written as NDJSON by DuckDB.
//
//   node duckdb_export.js --modules DIR --probe
//   node duckdb_export.js --modules DIR --db COLLECTION --out FILE --registered TIMESTAMP --method scanner|appender
//
// --modules is the folder where `npm install` put node_modules (the bench keeps it out of the repository).
// Methods:
//   scanner   DuckDB's sqlite extension reads the collection itself (needs the extension, usually a download).
//   appender  better-sqlite3 reads the rows in Seq order and DuckDB's appender loads them into an in-memory table,
//             then DuckDB writes that table as NDJSON (insertion order is preserved, so no sort).
// The last line on stdout is one JSON object with the rows, the phase times and the output size.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const COLUMNS = [
  ['Id', 'VARCHAR'], ['ContactId', 'VARCHAR'], ['StartDateTime', 'VARCHAR'], ['EndDateTime', 'VARCHAR'],
  ['DurationTicks', 'BIGINT'], ['LastModified', 'VARCHAR'], ['ChannelId', 'VARCHAR'], ['Initiator', 'VARCHAR'],
  ['UserAgent', 'VARCHAR'], ['CampaignId', 'VARCHAR'], ['VenueId', 'VARCHAR'], ['EngagementValue', 'BIGINT'],
  ['Events', 'VARCHAR'],
];

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    if (name === 'probe') args.probe = true;
    else args[name] = argv[++i];
  }
  return args;
}

function sqlQuote(s) { return `'${String(s).replace(/'/g, "''")}'`; }

function selectSql(table, registered) {
  return `SELECT ${COLUMNS.map((c) => c[0]).join(', ')} FROM ${table} WHERE Added <= ${sqlQuote(registered)} ORDER BY Seq`;
}

async function tryScanner(conn) {
  try {
    await conn.run('LOAD sqlite');
    return { ok: true };
  } catch (_) { /* not installed yet */ }
  try {
    await conn.run('INSTALL sqlite');
    await conn.run('LOAD sqlite');
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: String(e.message || e).split('\n')[0] };
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const modules = args.modules || __dirname;
  const req = createRequire(path.join(path.resolve(modules), 'package.json'));
  const duckdb = req('@duckdb/node-api');
  const threads = args.threads ? Number(args.threads) : undefined;
  const options = threads ? { threads: String(threads) } : {};
  const instance = await duckdb.DuckDBInstance.create(':memory:', options);
  const conn = await instance.connect();
  const version = (await conn.runAndReadAll('SELECT version()')).getRows()[0][0];

  if (args.probe) {
    const scanner = await tryScanner(conn);
    let betterSqlite3 = { ok: false };
    try {
      const Database = req('better-sqlite3');
      const db = new Database(':memory:');
      betterSqlite3 = { ok: true, sqlite_version: db.prepare('SELECT sqlite_version() AS v').get().v,
                        version: req('better-sqlite3/package.json').version };
      db.close();
    } catch (e) {
      betterSqlite3 = { ok: false, reason: String(e.message || e).split('\n')[0] };
    }
    console.log(JSON.stringify({ duckdb_version: version, scanner, better_sqlite3: betterSqlite3 }));
    return;
  }

  for (const k of ['db', 'out', 'registered', 'method']) if (!args[k]) throw new Error(`--${k} is required`);
  const out = path.resolve(args.out);
  const started = process.hrtime.bigint();
  const seconds = (from) => Number(process.hrtime.bigint() - from) / 1e9;
  let rows = 0;
  let readSeconds = 0;
  let writeSeconds = 0;

  if (args.method === 'scanner') {
    const scanner = await tryScanner(conn);
    if (!scanner.ok) throw new Error(`DuckDB's sqlite extension is not available: ${scanner.reason}`);
    await conn.run(`ATTACH ${sqlQuote(path.resolve(args.db))} AS src (TYPE sqlite, READ_ONLY)`);
    const t = process.hrtime.bigint();
    await conn.run(`COPY (${selectSql('src.Interactions', args.registered)}) TO ${sqlQuote(out)} (FORMAT json)`);
    writeSeconds = seconds(t);
    rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM read_json_auto(${sqlQuote(out)})`)).getRows()[0][0]);
  } else if (args.method === 'appender') {
    const Database = req('better-sqlite3');
    const db = new Database(path.resolve(args.db), { readonly: true });
    await conn.run(`CREATE TABLE interactions (${COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`);
    const appender = await conn.createAppender('interactions');
    const stmt = db.prepare(selectSql('Interactions', args.registered)).raw(true).safeIntegers(true);
    const t = process.hrtime.bigint();
    const types = COLUMNS.map((c) => c[1]);
    for (const row of stmt.iterate()) {
      for (let i = 0; i < row.length; ++i) {
        const v = row[i];
        if (v === null) appender.appendNull();
        else if (types[i] === 'BIGINT') appender.appendBigInt(BigInt(v));
        else appender.appendVarchar(v);
      }
      appender.endRow();
      ++rows;
    }
    appender.flushSync();
    appender.closeSync();
    db.close();
    readSeconds = seconds(t);
    const w = process.hrtime.bigint();
    await conn.run(`COPY interactions TO ${sqlQuote(out)} (FORMAT json)`);
    writeSeconds = seconds(w);
  } else {
    throw new Error(`unknown --method ${args.method}`);
  }
  const total = seconds(started);
  console.log(JSON.stringify({ duckdb_version: version, method: args.method, rows, read_seconds: readSeconds,
                               write_seconds: writeSeconds, total_seconds: total, bytes: fs.statSync(out).size }));
}

main().catch((e) => {
  console.error(`duckdb_export: ${e.stack || e}`);
  process.exit(1);
});
