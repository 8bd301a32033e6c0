/**
 * The one contract every Store implementation passes (src/store/store.ts). Run by
 * test/unit/store/{sqlite,memory}.test.ts and test/integration/store/redis.test.ts.
 *
 * The factory is called once per test and returns a store over fresh, empty backing data. When
 * the implementation persists, `reopen` opens a second store over the same data (after the first
 * is closed), which the persistence tests use.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RoomRecord, Store } from '../../src/store/store.js';

export interface StoreFixture {
  store: Store;
  reopen?: () => Promise<Store>;
  cleanup?: () => Promise<void>;
}

const room = (name: string, extra: Partial<RoomRecord> = {}): RoomRecord => ({
  name,
  sid: `RM_${name}`,
  metadata: '',
  maxParticipants: 4,
  emptyTimeout: 300,
  createdAt: 1_700_000_000_000,
  ...extra,
});

/**
 * `persistent`: the implementation keeps data across a close and reopen (its fixture has `reopen`);
 * the restart test is defined only for those.
 */
export function describeStoreContract(name: string, factory: () => Promise<StoreFixture>, opts: { persistent: boolean } = { persistent: true }): void {
  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = [];
    const cleanups: Array<() => Promise<void>> = [];
    let reopenFn: (() => Promise<Store>) | undefined;

    async function fresh(): Promise<Store> {
      const fixture = await factory();
      opened.push(fixture.store);
      if (fixture.cleanup) cleanups.push(fixture.cleanup);
      reopenFn = fixture.reopen;
      return fixture.store;
    }
    /** Closes `store` and opens a new one over the same data. */
    async function reopen(store: Store): Promise<Store> {
      if (!reopenFn) throw new Error('no reopen');
      await store.close();
      const again = await reopenFn();
      opened.push(again);
      return again;
    }

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      for (const c of cleanups.splice(0)) await c();
    });

    describe('settings', () => {
      it('returns undefined for a missing key, then what was set, then the overwrite', async () => {
        const store = await fresh();
        expect(await store.getSetting('api.secret')).toBeUndefined();
        await store.setSetting('api.secret', 's1');
        expect(await store.getSetting('api.secret')).toBe('s1');
        await store.setSetting('api.secret', 's2');
        expect(await store.getSetting('api.secret')).toBe('s2');
        await store.setSetting('empty', '');
        expect(await store.getSetting('empty')).toBe('');
      });
    });

    describe('rooms', () => {
      it('puts, gets, lists sorted by name, inserts only when absent, deletes', async () => {
        const { rooms } = await fresh();
        expect(await rooms.get('a')).toBeUndefined();
        expect(await rooms.list()).toEqual([]);
        await rooms.put('b', room('b'));
        expect(await rooms.insert('a', room('a', { metadata: '{"x":1}' }))).toBe(true);
        expect(await rooms.insert('a', room('a', { metadata: 'other' }))).toBe(false);
        expect(await rooms.get('a')).toEqual(room('a', { metadata: '{"x":1}' }));
        expect((await rooms.list()).map((r) => r.id)).toEqual(['a', 'b']);
        await rooms.put('b', room('b', { maxParticipants: 9 }));
        expect((await rooms.get('b'))?.maxParticipants).toBe(9);
        expect(await rooms.delete('b')).toBe(true);
        expect(await rooms.delete('b')).toBe(false);
        expect(await rooms.list()).toEqual([{ id: 'a', value: room('a', { metadata: '{"x":1}' }) }]);
      });

      it('keeps rooms apart from a collection named "rooms"', async () => {
        const store = await fresh();
        await store.rooms.put('r', room('r'));
        expect(await store.collection('rooms').list()).toEqual([]);
      });
    });

    describe('collections', () => {
      it('stores JSON documents per name, isolated from each other', async () => {
        const store = await fresh();
        const users = store.collection<{ name: string; tags: string[] }>('users');
        const other = store.collection<{ name: string }>('workspaces');
        await users.put('u1', { name: 'Ada', tags: ['x'] });
        expect(await users.get('u1')).toEqual({ name: 'Ada', tags: ['x'] });
        expect(await other.get('u1')).toBeUndefined();
        expect(await store.collection('users').get('u1')).toEqual({ name: 'Ada', tags: ['x'] });
      });

      it('returns copies: changing a value read or written does not change the store', async () => {
        const docs = (await fresh()).collection<{ n: number[] }>('docs');
        const value = { n: [1] };
        await docs.put('d', value);
        value.n.push(2);
        const read = await docs.get('d');
        read?.n.push(3);
        expect(await docs.get('d')).toEqual({ n: [1] });
      });

      it('round-trips through JSON (a Date comes back as its ISO string)', async () => {
        const docs = (await fresh()).collection<unknown>('docs');
        await docs.put('d', { at: new Date(0), nested: { a: null } });
        expect(await docs.get('d')).toEqual({ at: '1970-01-01T00:00:00.000Z', nested: { a: null } });
        await expect(docs.put('u', undefined)).rejects.toThrow();
      });

      it('inserts only when absent, deletes, lists sorted by id', async () => {
        const docs = (await fresh()).collection<number>('numbers');
        for (const id of ['b', 'a', 'c', 'B']) expect(await docs.insert(id, id.charCodeAt(0))).toBe(true);
        expect(await docs.insert('a', 0)).toBe(false);
        expect(await docs.get('a')).toBe(97);
        expect(await docs.delete('c')).toBe(true);
        expect(await docs.delete('c')).toBe(false);
        expect(await docs.delete('never')).toBe(false);
        expect(await docs.list()).toEqual([
          { id: 'B', value: 66 },
          { id: 'a', value: 97 },
          { id: 'b', value: 98 },
        ]);
      });

      it('validates what it reads back when given a schema', async () => {
        const store = await fresh();
        await store.collection<unknown>('things').put('good', { n: 1 });
        await store.collection<unknown>('things').put('bad', { n: 'one' });
        const things = store.collection('things', z.object({ n: z.number() }));
        expect(await things.get('good')).toEqual({ n: 1 });
        await expect(things.get('bad')).rejects.toThrow(/things\/bad failed validation/);
      });

      it('rejects invalid collection names', async () => {
        const store = await fresh();
        for (const bad of ['', 'a b', '_x', 'parley.rooms', 'x'.repeat(65), 'a/b']) {
          expect(() => store.collection(bad), bad).toThrow(RangeError);
        }
        expect(() => store.collection('ok_name-1')).not.toThrow();
      });
    });

    describe('event queue', () => {
      it('pushes with growing ids; only the oldest event of each key is due', async () => {
        const { events } = await fresh();
        const a1 = await events.push('room-a', 'a1', 1000);
        const b1 = await events.push('room-b', 'b1', 1001);
        const a2 = await events.push('room-a', 'a2', 1002);
        expect(a1).toBeLessThan(b1);
        expect(b1).toBeLessThan(a2);
        expect(await events.size()).toBe(3);
        expect(await events.due(5000, 10)).toEqual([
          { id: a1, key: 'room-a', payload: 'a1', attempts: 0, nextAttemptAt: 1000, createdAt: 1000 },
          { id: b1, key: 'room-b', payload: 'b1', attempts: 0, nextAttemptAt: 1001, createdAt: 1001 },
        ]);
        await events.ack(a1);
        expect((await events.due(5000, 10)).map((e) => e.payload)).toEqual(['b1', 'a2']);
        expect(await events.size()).toBe(2);
      });

      it('is due only from nextAttemptAt on, and honours the limit', async () => {
        const { events } = await fresh();
        await events.push('k1', 'p1', 100);
        await events.push('k2', 'p2', 200);
        await events.push('k3', 'p3', 300);
        expect(await events.due(99, 10)).toEqual([]);
        expect((await events.due(200, 10)).map((e) => e.payload)).toEqual(['p1', 'p2']);
        expect((await events.due(1000, 2)).map((e) => e.payload)).toEqual(['p1', 'p2']);
        expect(await events.due(1000, 0)).toEqual([]);
      });

      it('retry counts the attempt and moves the head without letting the key\'s next event pass', async () => {
        const { events } = await fresh();
        const a1 = await events.push('a', 'a1', 100);
        await events.push('a', 'a2', 100);
        const b1 = await events.push('b', 'b1', 150);
        await events.retry(a1, 500);
        expect((await events.due(400, 10)).map((e) => e.payload)).toEqual(['b1']);
        expect(await events.nextDueAt()).toBe(150);
        await events.ack(b1);
        expect(await events.nextDueAt()).toBe(500);
        await events.retry(a1, 700);
        expect(await events.due(600, 10)).toEqual([]);
        expect(await events.due(700, 10)).toEqual([
          { id: a1, key: 'a', payload: 'a1', attempts: 2, nextAttemptAt: 700, createdAt: 100 },
        ]);
      });

      it('sorts due events by nextAttemptAt, then id', async () => {
        const { events } = await fresh();
        const x = await events.push('x', 'x', 100);
        await events.push('y', 'y', 100);
        await events.push('z', 'z', 100);
        await events.retry(x, 150);
        expect((await events.due(1000, 10)).map((e) => e.payload)).toEqual(['y', 'z', 'x']);
      });

      it('reports nextDueAt over heads only, undefined when empty', async () => {
        const { events } = await fresh();
        expect(await events.nextDueAt()).toBeUndefined();
        const k1 = await events.push('k', 'first', 300);
        await events.push('k', 'second', 100);
        expect(await events.nextDueAt()).toBe(300);
        await events.ack(k1);
        expect(await events.nextDueAt()).toBe(100);
      });

      it('ignores ack and retry of unknown ids; ack of a non-head removes just that event', async () => {
        const { events } = await fresh();
        const e1 = await events.push('k', 'e1', 10);
        const e2 = await events.push('k', 'e2', 10);
        await events.ack(9999);
        await events.retry(9999, 50);
        expect(await events.size()).toBe(2);
        await events.ack(e2);
        await events.ack(e2);
        expect(await events.size()).toBe(1);
        await events.ack(e1);
        expect(await events.size()).toBe(0);
        expect(await events.due(1000, 10)).toEqual([]);
        expect(await events.nextDueAt()).toBeUndefined();
      });

      it('never reuses an id, even once the queue is empty', async () => {
        const { events } = await fresh();
        const first = await events.push('k', 'p', 1);
        await events.ack(first);
        expect(await events.push('k', 'p', 1)).toBeGreaterThan(first);
      });

      it('keeps keys and payloads byte for byte', async () => {
        const { events } = await fresh();
        const payload = JSON.stringify({ text: 'héllo 👋', quote: '"\'\\', nl: '\n' });
        await events.push('room with spaces/ünïcode:*', payload, 1);
        expect(await events.due(1, 1)).toMatchObject([{ key: 'room with spaces/ünïcode:*', payload }]);
      });
    });

    describe('lifecycle', () => {
      it('close is idempotent and later calls reject', async () => {
        const store = await fresh();
        await store.close();
        await store.close();
        await expect(store.getSetting('k')).rejects.toThrow();
        await expect(store.events.size()).rejects.toThrow();
        await expect(store.rooms.list()).rejects.toThrow();
      });

      // Only persistent implementations (SQLite, Redis) can be reopened; the memory store has no such test.
      if (opts.persistent) it('keeps settings, rooms, collections and queued events across a reopen', async () => {
        const store = await fresh();
        await store.setSetting('generated.key', 'APIabc');
        await store.rooms.put('r1', room('r1'));
        await store.collection<{ v: number }>('docs').put('d1', { v: 1 });
        const e1 = await store.events.push('r1', 'one', 100);
        const e2 = await store.events.push('r1', 'two', 101);
        await store.events.retry(e1, 900);

        const again = await reopen(store);
        expect(await again.getSetting('generated.key')).toBe('APIabc');
        expect(await again.rooms.get('r1')).toEqual(room('r1'));
        expect(await again.collection('docs').list()).toEqual([{ id: 'd1', value: { v: 1 } }]);
        expect(await again.events.size()).toBe(2);
        expect(await again.events.nextDueAt()).toBe(900);
        expect(await again.events.due(900, 10)).toEqual([
          { id: e1, key: 'r1', payload: 'one', attempts: 1, nextAttemptAt: 900, createdAt: 100 },
        ]);
        await again.events.ack(e1);
        expect((await again.events.due(900, 10)).map((e) => e.id)).toEqual([e2]);
        expect(await again.events.push('r1', 'three', 1000)).toBeGreaterThan(e2);
      });
    });
  });
}
