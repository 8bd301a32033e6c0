/**
 * The embedded store: one SQLite file, <dataDir>/parley.db (better-sqlite3, WAL).
 *
 * better-sqlite3 is synchronous; each statement is short and indexed, so the event loop is held
 * for microseconds. `synchronous = NORMAL` in WAL mode survives a process crash or restart (what
 * the webhook queue promises); a power cut may lose the last few commits.
 *
 * The schema is versioned by `PRAGMA user_version`: MIGRATIONS[i] takes version i to i + 1.
 * Append to the list, never edit an entry that has shipped.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { checkCollectionName, documentCollection, ROOMS_NAMESPACE, roomRecordSchema, type DocumentBackend } from './documents.js';
import type { EventQueue, QueuedEvent, Store } from './store.js';

export const SQLITE_FILE = 'parley.db';

export const MIGRATIONS: readonly string[] = [
  // 1: settings, documents, events
  `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE documents (
     ns TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL,
     PRIMARY KEY (ns, id)
   ) WITHOUT ROWID;
   CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     key TEXT NOT NULL,
     payload TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX events_by_key ON events (key, id);`,
  // 2: the head of each key in its own table, so due() and nextDueAt() stay O(log n) with a backlog.
  `CREATE TABLE event_heads (key TEXT PRIMARY KEY, id INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX event_heads_due ON event_heads (next_attempt_at, id);
   INSERT INTO event_heads (key, id, next_attempt_at)
     SELECT e.key, e.id, e.next_attempt_at FROM events e JOIN (SELECT MIN(id) AS id FROM events GROUP BY key) h ON e.id = h.id;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to SCHEMA_VERSION, one transaction per step; refuses a newer database. */
function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true });
  if (typeof current !== 'number') throw new Error('store: cannot read the schema version');
  if (current > SCHEMA_VERSION) {
    throw new Error(`store: ${db.name} has schema version ${current}, newer than this Parley (${SCHEMA_VERSION}); upgrade Parley`);
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    const sql = MIGRATIONS[v];
    if (sql === undefined) break;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

interface EventRow {
  id: number;
  key: string;
  payload: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
}

const toEvent = (r: EventRow): QueuedEvent => ({
  id: r.id,
  key: r.key,
  payload: r.payload,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
});

function sqliteDocuments(db: Database.Database): DocumentBackend {
  const get = db.prepare<[string, string], { value: string }>('SELECT value FROM documents WHERE ns = ? AND id = ?');
  const put = db.prepare('INSERT INTO documents (ns, id, value) VALUES (?, ?, ?) ON CONFLICT (ns, id) DO UPDATE SET value = excluded.value');
  const insert = db.prepare('INSERT INTO documents (ns, id, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  const del = db.prepare('DELETE FROM documents WHERE ns = ? AND id = ?');
  const list = db.prepare<[string], { id: string; json: string }>('SELECT id, value AS json FROM documents WHERE ns = ?');
  return {
    async get(ns, id) {
      return get.get(ns, id)?.value;
    },
    async put(ns, id, json) {
      put.run(ns, id, json);
    },
    async insert(ns, id, json) {
      return insert.run(ns, id, json).changes === 1;
    },
    async delete(ns, id) {
      return del.run(ns, id).changes === 1;
    },
    async list(ns) {
      return list.all(ns);
    },
  };
}

/**
 * events holds every queued event; event_heads holds, per key, the oldest one (the only one that
 * can be due) with its time. Every write keeps both in one transaction.
 */
function sqliteQueue(db: Database.Database): EventQueue {
  const insertEvent = db.prepare('INSERT INTO events (key, payload, attempts, next_attempt_at, created_at) VALUES (?, ?, 0, ?, ?)');
  const insertHead = db.prepare('INSERT INTO event_heads (key, id, next_attempt_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING');
  const keyOf = db.prepare<[number], { key: string }>('SELECT key FROM events WHERE id = ?');
  const deleteEvent = db.prepare('DELETE FROM events WHERE id = ?');
  const deleteHead = db.prepare('DELETE FROM event_heads WHERE key = ? AND id = ?');
  const oldest = db.prepare<[string], { id: number; next_attempt_at: number }>('SELECT id, next_attempt_at FROM events WHERE key = ? ORDER BY id LIMIT 1');
  const retryEvent = db.prepare('UPDATE events SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?');
  const retryHead = db.prepare('UPDATE event_heads SET next_attempt_at = ? WHERE key = ? AND id = ?');
  const due = db.prepare<[number, number], EventRow>(
    'SELECT e.* FROM event_heads h JOIN events e ON e.id = h.id WHERE h.next_attempt_at <= ? ORDER BY h.next_attempt_at, h.id LIMIT ?',
  );
  const nextDue = db.prepare<[], { at: number | null }>('SELECT MIN(next_attempt_at) AS at FROM event_heads');
  const size = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM events');

  const push = db.transaction((key: string, payload: string, now: number): number => {
    const id = Number(insertEvent.run(key, payload, now, now).lastInsertRowid);
    insertHead.run(key, id, now);
    return id;
  });
  const ack = db.transaction((id: number): void => {
    const row = keyOf.get(id);
    if (!row) return;
    deleteEvent.run(id);
    if (deleteHead.run(row.key, id).changes === 0) return; // not the head: the head stays
    const next = oldest.get(row.key);
    if (next) insertHead.run(row.key, next.id, next.next_attempt_at);
  });
  const retry = db.transaction((id: number, at: number): void => {
    const row = keyOf.get(id);
    if (!row) return;
    retryEvent.run(at, id);
    retryHead.run(at, row.key, id);
  });

  return {
    async push(key, payload, now) {
      return push(key, payload, now);
    },
    async due(now, limit) {
      return due.all(now, Math.max(0, Math.floor(limit))).map(toEvent);
    },
    async ack(id) {
      ack(id);
    },
    async retry(id, nextAttemptAt) {
      retry(id, nextAttemptAt);
    },
    async size() {
      return size.get()?.n ?? 0;
    },
    async nextDueAt() {
      return nextDue.get()?.at ?? undefined;
    },
  };
}

/** Opens (creating when needed) the store in `dataDir`. Throws if the file cannot be opened or is from a newer Parley. */
export function openSqliteStore(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, SQLITE_FILE));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const getSetting = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const setSetting = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const documents = sqliteDocuments(db);
  return {
    async getSetting(key) {
      return getSetting.get(key)?.value;
    },
    async setSetting(key, value) {
      setSetting.run(key, value);
    },
    rooms: documentCollection(documents, ROOMS_NAMESPACE, roomRecordSchema),
    collection: (name, schema) => documentCollection(documents, checkCollectionName(name), schema),
    events: sqliteQueue(db),
    async close() {
      if (db.open) db.close();
    },
  };
}
