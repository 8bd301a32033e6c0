/**
 * Workspaces: the stored record (collection `workspaces`, survives a restart) and the live part
 * (who is bound to which connection, the current call), kept only in this process.
 *
 * `attendees` as the clients see it is the owner (always: the owner is never refused and cannot
 * leave) plus every attendee bound to a live connection. Capacity counts exactly that.
 */
import { randomInt } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { Participant } from '../../core/participant.js';
import type { Collection } from '../../store/store.js';
import { DEFAULTS } from './alerts.js';
import type { Attendee, WorkspaceRecord } from './messages.js';

/** One socket.io connection and the workspaces it is bound in (workspace id -> attendee id). */
export interface Session {
  socket: Socket;
  bindings: Map<string, string>;
}

export interface Presence {
  attendee: Attendee;
  session: Session;
  participant: Participant;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `'_' + 10 random alphanumerics`, as the original's randomstring ids. */
export function newEntityId(): string {
  let id = '_';
  for (let i = 0; i < DEFAULTS.idLength; i++) id += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return id;
}

export class Workspace {
  readonly present = new Map<string, Presence>();
  /** The original's `ws.call`: set by ring, cleared by hangup; not persisted. */
  call: unknown = undefined;

  constructor(readonly record: WorkspaceRecord) {}

  get id(): string {
    return this.record.id;
  }

  get owner(): string {
    return this.record.owner;
  }

  get roomName(): string {
    return `workspaces:${this.record.id}`;
  }

  /** The public fields the original sends in `created`, `attendance-granted` and friends. */
  summary(): { id: string; name: string; avatar: string; owner: string; created: number; token: string } {
    const { id, name, avatar, owner, created, token } = this.record;
    return { id, name, avatar, owner, created, token };
  }

  attendees(): Record<string, Attendee> {
    const all: Record<string, Attendee> = { [this.owner]: this.record.ownerAttendee };
    for (const [id, p] of this.present) all[id] = p.attendee;
    return all;
  }

  /** Attendees counted against the capacity: the owner plus everyone bound now. */
  count(): number {
    return Object.keys(this.attendees()).length;
  }

  /** Sends to every bound connection except `except` (the sender) and the attendee `exceptId`. */
  emitOthers(except: Session | undefined, exceptId: string | undefined, event: string, payload: unknown): void {
    for (const s of this.sessions()) if (s !== except && s.bindings.get(this.id) !== exceptId) s.socket.emit(event, payload);
  }

  sessions(): Set<Session> {
    return new Set([...this.present.values()].map((p) => p.session));
  }
}

/** Every workspace, loaded at start and written through to the store. */
export class WorkspaceDirectory {
  private readonly all = new Map<string, Workspace>();
  private readonly claimed = new Set<string>();

  constructor(private readonly collection: Collection<WorkspaceRecord>) {}

  async load(): Promise<number> {
    for (const { value } of await this.collection.list()) this.all.set(value.id, new Workspace(value));
    return this.all.size;
  }

  get(id: string): Workspace | undefined {
    return this.all.get(id);
  }

  get size(): number {
    return this.all.size;
  }

  /**
   * Reserves an id for a workspace being created: the client's when it is free (the original let a
   * create overwrite an existing workspace), otherwise a fresh one.
   */
  claim(requested: string | undefined): string {
    let id = requested !== undefined && !this.taken(requested) ? requested : newEntityId();
    while (this.taken(id)) id = newEntityId();
    this.claimed.add(id);
    return id;
  }

  /** Stores a workspace under its claimed id; false (and nothing stored) if the id was taken meanwhile. */
  async create(record: WorkspaceRecord): Promise<Workspace | undefined> {
    try {
      if (!(await this.collection.insert(record.id, record))) return undefined;
      const ws = new Workspace(record);
      this.all.set(record.id, ws);
      return ws;
    } finally {
      this.claimed.delete(record.id);
    }
  }

  release(id: string): void {
    this.claimed.delete(id);
  }

  async remove(id: string): Promise<void> {
    this.all.delete(id);
    await this.collection.delete(id);
  }

  private taken(id: string): boolean {
    return this.all.has(id) || this.claimed.has(id);
  }
}
