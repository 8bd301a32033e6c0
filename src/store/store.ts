/**
 * The store: what must survive a restart. One interface, two implementations (SQLite embedded,
 * Redis for scale-out later), both held to test/store/contract.ts.
 *
 * Everything is async so the Redis implementation fits the same shape.
 */

/** A durable record of a room created through the REST API (join-created rooms are not stored). */
export interface RoomRecord {
  name: string;
  sid: string;
  metadata: string;
  maxParticipants: number;
  emptyTimeout: number;
  createdAt: number;
}

/** A document collection, for dialect state (workspaces, Inclubit users, ...). */
export interface Collection<T> {
  get(id: string): Promise<T | undefined>;
  put(id: string, value: T): Promise<void>;
  /** Inserts only when absent; false if the id exists. */
  insert(id: string, value: T): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  list(): Promise<Array<{ id: string; value: T }>>;
}

export interface QueuedEvent {
  id: number;
  /** Events of one key (a room name) are delivered in order: only the oldest is due. */
  key: string;
  payload: string;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
}

/** Durable webhook queue, ordered per key. */
export interface EventQueue {
  push(key: string, payload: string, now: number): Promise<number>;
  /** Head-of-line events (oldest per key) whose nextAttemptAt <= now, at most `limit`. */
  due(now: number, limit: number): Promise<QueuedEvent[]>;
  ack(id: number): Promise<void>;
  retry(id: number, nextAttemptAt: number): Promise<void>;
  size(): Promise<number>;
  /** Earliest nextAttemptAt among head-of-line events, or undefined when empty. */
  nextDueAt(): Promise<number | undefined>;
}

export interface Store {
  /** Small settings: generated keys and secrets. */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
  rooms: Collection<RoomRecord>;
  collection<T>(name: string): Collection<T>;
  events: EventQueue;
  close(): Promise<void>;
}
