/**
 * A room: its options and participants, and the admission rule. No I/O.
 */
import { ParleyError } from './errors.js';
import type { Participant } from './participant.js';
import type { RoomInfo, RoomType, ServerNotification } from '../signaling/protocol.js';
import type { RoomRecord } from '../store/store.js';

/** What the store keeps of a room (name, sid, metadata, maxParticipants, emptyTimeout in seconds, createdAt, type), and: */
export interface RoomOptions extends RoomRecord {
  type: RoomType;
  /** Created through the REST API (kept in the store across restarts). */
  persistent: boolean;
  /** Which protocol opened the room: "native" or a dialect name (jsongle, workspaces, inclubit). */
  origin: string;
}

export class Room {
  readonly participants = new Map<string, Participant>();
  private readonly byIdentity = new Map<string, Participant>();

  constructor(public options: RoomOptions) {}

  get name(): string {
    return this.options.name;
  }

  get sid(): string {
    return this.options.sid;
  }

  /** Participants that count against maxParticipants (hidden ones, e.g. recorders, do not). */
  get visibleCount(): number {
    let n = 0;
    for (const p of this.participants.values()) if (!p.hidden) n++;
    return n;
  }

  findByIdentity(identity: string): Participant | undefined {
    return this.byIdentity.get(identity);
  }

  /**
   * Admission rule: a full room refuses a newcomer, but an identity that is already in the room
   * replaces its old session (and so never makes the room fuller), and hidden joins do not count.
   */
  checkAdmission(identity: string, hidden: boolean): void {
    if (hidden) return;
    const existing = this.byIdentity.get(identity);
    const count = this.visibleCount - (existing && !existing.hidden ? 1 : 0);
    if (count >= this.options.maxParticipants) {
      throw new ParleyError('ROOM_FULL', `room "${this.name}" is full (${this.options.maxParticipants} participants)`);
    }
  }

  add(p: Participant): void {
    this.participants.set(p.sid, p);
    this.byIdentity.set(p.identity, p);
  }

  remove(p: Participant): boolean {
    if (this.participants.get(p.sid) !== p) return false;
    this.participants.delete(p.sid);
    if (this.byIdentity.get(p.identity) === p) this.byIdentity.delete(p.identity);
    return true;
  }

  /** Sends to every participant but `except`; events about a hidden participant go nowhere. */
  broadcast(notification: ServerNotification, except?: Participant): void {
    for (const p of this.participants.values()) if (p !== except) p.sink.deliver(notification);
  }

  /** Participants others can see. */
  visible(except?: Participant): Participant[] {
    return [...this.participants.values()].filter((p) => p !== except && !p.hidden);
  }

  info(): RoomInfo {
    const o = this.options;
    return {
      sid: o.sid,
      name: o.name,
      type: o.type,
      metadata: o.metadata,
      maxParticipants: o.maxParticipants,
      emptyTimeout: o.emptyTimeout,
      createdAt: o.createdAt,
      numParticipants: this.visibleCount,
      origin: o.origin,
    };
  }
}
