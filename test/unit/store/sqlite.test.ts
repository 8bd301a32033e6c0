import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, openSqliteStore, SCHEMA_VERSION, SQLITE_FILE } from '../../../src/store/sqlite.js';
import { describeStoreContract } from '../../store/contract.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'parley-store-'));
}

describeStoreContract('sqlite', async () => {
  const dir = await tempDir();
  return {
    store: openSqliteStore(dir),
    reopen: async () => openSqliteStore(dir),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('openSqliteStore', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('creates the data dir and parley.db in WAL mode at the current schema version', async () => {
    const base = await tempDir();
    dirs.push(base);
    const dataDir = join(base, 'nested', 'data');
    const store = openSqliteStore(dataDir);
    await store.setSetting('k', 'v');
    await store.close();

    const file = join(dataDir, SQLITE_FILE);
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('migrates a version 1 database, keeping its queued events in order', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const db = new Database(join(dir, SQLITE_FILE));
    db.exec(MIGRATIONS[0] ?? '');
    db.pragma('user_version = 1');
    const insert = db.prepare('INSERT INTO events (key, payload, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)');
    insert.run('a', 'a1', 2, 500, 100);
    insert.run('b', 'b1', 0, 200, 200);
    insert.run('a', 'a2', 0, 300, 300);
    db.close();

    const store = openSqliteStore(dir);
    expect(await store.events.nextDueAt()).toBe(200);
    expect((await store.events.due(1000, 10)).map((e) => [e.payload, e.attempts])).toEqual([
      ['b1', 0],
      ['a1', 2],
    ]);
    await store.events.ack(1);
    expect((await store.events.due(1000, 10)).map((e) => e.payload)).toEqual(['b1', 'a2']);
    await store.close();
  });

  it('refuses a database written by a newer Parley', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const db = new Database(join(dir, SQLITE_FILE));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openSqliteStore(dir)).toThrow(/newer than this Parley/);
  });
});
