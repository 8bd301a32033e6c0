import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, SCHEMA_VERSION, SQLITE_FILE } from '../../../src/store/sqlite.js';
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

  it('refuses a database written by a newer Parley', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const db = new Database(join(dir, SQLITE_FILE));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openSqliteStore(dir)).toThrow(/newer than this Parley/);
  });
});
