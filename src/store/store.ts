/**
 * The store: what must survive a restart. One interface, three implementations (SQLite embedded:
 * sqlite.ts, memory for tests and ephemeral runs: memory.ts, Redis for scale-out: redis.ts), all
 * held to one contract suite (test/store/contract.ts).
 *
 * Everything is async so the Redis implementation fits the same shape. Every method rejects once
 * the store is closed; close() itself is idempotent.
 */

/** A durable record of a room created through the REST API (join-created rooms are not stored). */
export interface RoomRecord {
  name: string;
  sid: string;
  metadata: string;
  maxParticipants: number;
  emptyTimeout: number;
  createdAt: number;
  /** sfu or p2p; absent in records written before SFU rooms existed (read as sfu). */
  type?: 'sfu' | 'p2p';
}

/**
 * A document collection, for dialect state (workspaces, Inclubit users, ...). Values are stored
 * as JSON: what comes back is a JSON round-trip copy (no shared references; a Date becomes a
 * string). Putting a value that JSON cannot represent (undefined, a function) throws.
 */
export interface Collection<T> {
  get(id: string): Promise<T | undefined>;
  put(id: string, value: T): Promise<void>;
  /** Inserts only when absent; false if the id exists. */
  insert(id: string, value: T): Promise<boolean>;
  /** True when the id existed. */
  delete(id: string): Promise<boolean>;
  /** Every document, sorted by id (code-unit order). */
  list(): Promise<Array<{ id: string; value: T }>>;
}

/**
 * Validates what a collection reads back (data on disk is a boundary). A zod schema fits.
 * Without one, documents are returned as stored, typed by the caller's word.
 */
export interface DocumentSchema<T> {
  parse(value: unknown): T;
}

/** One queued event. Ids grow monotonically and are never reused, also across a reopen. */
export interface QueuedEvent {
  id: number;
  /** Events of one key (a room name) are delivered in order: only the oldest is due. */
  key: string;
  payload: string;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
}

/**
 * Durable webhook queue, ordered per key: only the oldest event of a key (its head) is ever due,
 * so a key's next event waits until its head is acked. Times are Unix milliseconds.
 */
export interface EventQueue {
  /** Appends an event due at `now` with 0 attempts; returns its id. */
  push(key: string, payload: string, now: number): Promise<number>;
  /**
   * Head-of-line events (oldest per key) whose nextAttemptAt <= now, at most `limit`, sorted by
   * nextAttemptAt then id.
   */
  due(now: number, limit: number): Promise<QueuedEvent[]>;
  /** Removes the event (delivered, or given up); the key's next event becomes its head. Unknown ids are ignored. */
  ack(id: number): Promise<void>;
  /** Counts a failed attempt (attempts + 1) and moves nextAttemptAt; the event stays the head. Unknown ids are ignored. */
  retry(id: number, nextAttemptAt: number): Promise<void>;
  /** Events queued, heads or not. */
  size(): Promise<number>;
  /** Earliest nextAttemptAt among head-of-line events, or undefined when empty. */
  nextDueAt(): Promise<number | undefined>;
}

export interface Store {
  /** Small settings: generated keys and secrets. */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
  /** Rooms created through REST; records read back are validated. */
  rooms: Collection<RoomRecord>;
  /**
   * A named document collection. Names match /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/ (anything else
   * throws); each name is its own namespace, separate from `rooms`.
   */
  collection<T>(name: string, schema?: DocumentSchema<T>): Collection<T>;
  events: EventQueue;
  /** False while the backing service is unreachable (Redis); absent for an embedded store. */
  healthy?(): boolean;
  close(): Promise<void>;
}
