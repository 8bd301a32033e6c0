/**
 * Workspaces survive a restart: the dialect is stopped and its SQLite store closed, then both are
 * reopened in the same data directory. Generated secrets are kept in the store, so the tokens
 * handed out before the restart still work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import { Client, startWorkspaces } from './workspaces-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-workspaces-'));
const clients: Client[] = [];

afterAll(() => {
  for (const c of clients) c.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Created {
  workspace: { id: string; token: string; name: string; owner: string };
  attendee: { id: string; name: string; avatar: string };
  accessToken: string;
}

describe('webRTCWorkspaces: restart', () => {
  it('keeps workspaces and token secrets across a restart with the same SQLite store', async () => {
    let store = openSqliteStore(dir);
    let h = await startWorkspaces(store);
    const owner = await Client.connect(h.url);
    clients.push(owner);
    const created = await owner.request<Created>('create', { workspace: { name: 'Persistent', pin: '77' }, attendee: { name: 'Olga' } }, 'created');
    owner.close();
    await h.close();
    await store.close();

    store = openSqliteStore(dir);
    h = await startWorkspaces(store);
    try {
      const bob = await Client.connect(h.url);
      clients.push(bob);
      const granted = await bob.request<{ workspace: Created['workspace']; attendees: Record<string, unknown> }>(
        'attend',
        { workspace: { token: created.workspace.token, pin: '77' }, attendee: { name: 'Bob' } },
        'attendance-granted',
      );
      expect(granted.workspace).toMatchObject({ id: created.workspace.id, name: 'Persistent', owner: created.attendee.id });
      expect(Object.keys(granted.attendees)).toContain(created.attendee.id);

      const back = await Client.connect(h.url);
      clients.push(back);
      const again = await back.request<{ attendee: { id: string } }>(
        're-attend',
        { workspace: created.workspace, attendee: created.attendee, accessToken: created.accessToken },
        're-attendance-granted',
      );
      expect(again.attendee.id).toBe(created.attendee.id);
      expect(await back.request('destroy', { workspace: { id: created.workspace.id }, attendee: created.attendee, accessToken: created.accessToken }, 'destroyed')).toEqual({});
    } finally {
      await h.close();
      await store.close();
    }
  });
});
