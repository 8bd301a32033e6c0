/**
 * A store that lives in this process only: for tests and ephemeral runs (nothing survives a
 * restart). Same contract as the SQLite and Redis stores; documents are kept as JSON strings so
 * callers get copies, exactly as from a real store.
 */
import { checkCollectionName, documentCollection, ROOMS_NAMESPACE, roomRecordSchema, type DocumentBackend } from './documents.js';
import type { EventQueue, QueuedEvent, Store } from './store.js';

export function createMemoryStore(): Store {
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('store: closed');
  };

  const settings = new Map<string, string>();
  const namespaces = new Map<string, Map<string, string>>();
  const ns = (name: string): Map<string, string> => {
    let docs = namespaces.get(name);
    if (!docs) namespaces.set(name, (docs = new Map()));
    return docs;
  };
  const documents: DocumentBackend = {
    async get(name, id) {
      open();
      return ns(name).get(id);
    },
    async put(name, id, json) {
      open();
      ns(name).set(id, json);
    },
    async insert(name, id, json) {
      open();
      const docs = ns(name);
      if (docs.has(id)) return false;
      docs.set(id, json);
      return true;
    },
    async delete(name, id) {
      open();
      return ns(name).delete(id);
    },
    async list(name) {
      open();
      return [...ns(name)].map(([id, json]) => ({ id, json }));
    },
  };

  return {
    async getSetting(key) {
      open();
      return settings.get(key);
    },
    async setSetting(key, value) {
      open();
      settings.set(key, value);
    },
    rooms: documentCollection(documents, ROOMS_NAMESPACE, roomRecordSchema),
    collection: (name, schema) => documentCollection(documents, checkCollectionName(name), schema),
    events: memoryQueue(open),
    async close() {
      closed = true;
    },
  };
}

function memoryQueue(open: () => void): EventQueue {
  let lastId = 0;
  /** Per key, its events oldest first; a key with no events is removed. */
  const byKey = new Map<string, QueuedEvent[]>();
  const heads = (): QueuedEvent[] => [...byKey.values()].flatMap((q) => (q[0] ? [q[0]] : []));
  const find = (id: number): { queue: QueuedEvent[]; index: number; key: string } | undefined => {
    for (const [key, queue] of byKey) {
      const index = queue.findIndex((e) => e.id === id);
      if (index >= 0) return { queue, index, key };
    }
    return undefined;
  };

  return {
    async push(key, payload, now) {
      open();
      const event: QueuedEvent = { id: ++lastId, key, payload, attempts: 0, nextAttemptAt: now, createdAt: now };
      const queue = byKey.get(key);
      if (queue) queue.push(event);
      else byKey.set(key, [event]);
      return event.id;
    },
    async due(now, limit) {
      open();
      return heads()
        .filter((e) => e.nextAttemptAt <= now)
        .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id)
        .slice(0, Math.max(0, Math.floor(limit)))
        .map((e) => ({ ...e }));
    },
    async ack(id) {
      open();
      const found = find(id);
      if (!found) return;
      found.queue.splice(found.index, 1);
      if (found.queue.length === 0) byKey.delete(found.key);
    },
    async retry(id, nextAttemptAt) {
      open();
      const found = find(id);
      const event = found?.queue[found.index];
      if (!event) return;
      event.attempts += 1;
      event.nextAttemptAt = nextAttemptAt;
    },
    async size() {
      open();
      let n = 0;
      for (const queue of byKey.values()) n += queue.length;
      return n;
    },
    async nextDueAt() {
      open();
      const times = heads().map((e) => e.nextAttemptAt);
      return times.length === 0 ? undefined : Math.min(...times);
    },
  };
}
