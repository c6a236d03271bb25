// One PGlite database in a worker thread of its own, driven by pgliteDriver.ts (which documents the
// messages). Plain JavaScript on purpose: the thread starts without the TypeScript loader of its
// parent (tsx in `npm start`, swc under Jest), so it can import nothing of ours.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';

const { location, startParams, sessionSettings } = workerData;

/** Every value comes back as PostgreSQL's text; decoding is shared by both drivers (pgValues.ts). */
const keepText = (value) => value;
/** Parameters arrive already as PostgreSQL text (pgValues.ts); PGlite must not convert them again. */
const passParamsThrough = new Proxy({}, { get: () => (value) => value });

/** A parser for every type PGlite knows (built-in and array types), each returning the raw text. */
function rawTextParsers(db) {
  const oids = new Set([...Object.keys(pgliteTypes.parsers), ...Object.keys(db.parsers)]);
  return Object.fromEntries([...oids].map((oid) => [oid, keepText]));
}

/** PostgreSQL's error fields (code, severity, detail, constraint, ...) survive the thread boundary. */
function serializeError(err) {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields = {};
  for (const [key, value] of Object.entries(err)) {
    if (value === undefined || typeof value === 'function' || typeof value === 'object') continue;
    fields[key] = value;
  }
  return { ...fields, name: err.name, message: err.message, stack: err.stack };
}

let db;
try {
  db = await PGlite.create(location, { startParams: [...PGlite.defaultStartParams, ...startParams] });
  for (const [name, value] of Object.entries(sessionSettings)) {
    await db.query('SELECT set_config($1, $2, false)', [name, value]);
  }
} catch (err) {
  await db?.close().catch(() => {});
  parentPort.postMessage({ type: 'failed', error: serializeError(err) });
  parentPort.close();
  db = undefined;
}

if (db) {
  let parsers = rawTextParsers(db);
  let parserCount = Object.keys(db.parsers).length;

  parentPort.on('message', async (message) => {
    const { id } = message;
    try {
      if (message.type === 'close') {
        await db.close();
        parentPort.postMessage({ id, ok: true });
        parentPort.close();
        return;
      }
      if (Object.keys(db.parsers).length !== parserCount) {
        parsers = rawTextParsers(db); // PGlite learned new array types
        parserCount = Object.keys(db.parsers).length;
      }
      const result = await db.query(message.sql, message.params, {
        rowMode: 'array',
        parsers,
        serializers: passParamsThrough,
      });
      parentPort.postMessage({
        id,
        ok: {
          command: result.command,
          affectedRows: result.affectedRows,
          fields: result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
          rows: result.rows,
        },
      });
    } catch (err) {
      parentPort.postMessage({ id, error: serializeError(err) });
    }
  });
  parentPort.postMessage({ type: 'open' });
}
