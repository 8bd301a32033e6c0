/**
 * The document layer shared by every store implementation: an implementation provides raw JSON
 * strings per (namespace, id) through a `DocumentBackend`; this file turns that into typed
 * `Collection`s (JSON encoding, name checks, validation of what is read back).
 */
import { z } from 'zod';
import type { Collection, DocumentSchema, RoomRecord } from './store.js';

/** Raw storage of JSON documents, grouped by namespace. Lists may come back in any order. */
export interface DocumentBackend {
  get(ns: string, id: string): Promise<string | undefined>;
  put(ns: string, id: string, json: string): Promise<void>;
  insert(ns: string, id: string, json: string): Promise<boolean>;
  delete(ns: string, id: string): Promise<boolean>;
  list(ns: string): Promise<Array<{ id: string; json: string }>>;
}

const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Namespace of `store.rooms`; the dot keeps it out of reach of collection names. */
export const ROOMS_NAMESPACE = 'parley.rooms';

export const roomRecordSchema: z.ZodType<RoomRecord> = z.object({
  name: z.string(),
  sid: z.string(),
  metadata: z.string(),
  maxParticipants: z.number().int().nonnegative(),
  emptyTimeout: z.number().nonnegative(),
  createdAt: z.number(),
});

export function checkCollectionName(name: string): string {
  if (!COLLECTION_NAME.test(name)) {
    throw new RangeError(`invalid collection name ${JSON.stringify(name)}: use 1-64 of A-Z a-z 0-9 _ - (not starting with _ or -)`);
  }
  return name;
}

function encode(value: unknown): string {
  const json: unknown = JSON.stringify(value);
  if (typeof json !== 'string') throw new TypeError('document is not representable as JSON');
  return json;
}

function decoder<T>(ns: string, schema: DocumentSchema<T> | undefined): (id: string, json: string) => T {
  return (id, json) => {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      throw new Error(`store: document ${ns}/${id} is not valid JSON`);
    }
    if (!schema) return value as T; // typed by the caller's word, as documented on Store.collection
    try {
      return schema.parse(value);
    } catch (err) {
      throw new Error(`store: document ${ns}/${id} failed validation`, { cause: err });
    }
  };
}

/** A typed collection over one namespace of a backend. */
export function documentCollection<T>(backend: DocumentBackend, ns: string, schema?: DocumentSchema<T>): Collection<T> {
  const decode = decoder(ns, schema);
  return {
    async get(id) {
      const json = await backend.get(ns, id);
      return json === undefined ? undefined : decode(id, json);
    },
    async put(id, value) {
      await backend.put(ns, id, encode(value));
    },
    async insert(id, value) {
      return backend.insert(ns, id, encode(value));
    },
    async delete(id) {
      return backend.delete(ns, id);
    },
    async list() {
      const rows = await backend.list(ns);
      rows.sort(byId); // one order for every backend (SQLite's BINARY collation differs from JS for astral characters)
      return rows.map(({ id, json }) => ({ id, value: decode(id, json) }));
    },
  };
}

/** UTF-16 code-unit order, as `<` compares strings. */
function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
