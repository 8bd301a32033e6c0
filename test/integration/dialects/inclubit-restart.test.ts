/**
 * Inclubit users survive a restart: the dialect is stopped and its SQLite store closed, then both
 * are reopened in the same data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import { ADMIN, basic, startInclubit } from './inclubit-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-inclubit-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Inclubit: restart', () => {
  it('keeps users (hashed) across a restart with the same SQLite store', async () => {
    let store = openSqliteStore(dir);
    let h = await startInclubit(store);
    const res = await fetch(`${h.authUrl}/admin/add-users`, {
      method: 'POST',
      headers: { ...basic(ADMIN.user, ADMIN.password), 'content-type': 'application/json' },
      body: JSON.stringify({ kim: { password: 'kim-pw', canCreateRooms: true } }),
    });
    expect(res.status).toBe(200);
    await h.close();
    await store.close();

    store = openSqliteStore(dir);
    h = await startInclubit(store);
    try {
      const me = await fetch(`${h.authUrl}/user/`, { headers: basic('kim', 'kim-pw') });
      expect(await me.json()).toEqual({ canCreateRooms: true });
      expect((await fetch(`${h.authUrl}/user/`, { headers: basic('kim', 'wrong') })).status).toBe(401);
    } finally {
      await h.close();
      await store.close();
    }
  });
});
