/**
 * One JSONgle connection: its identity (the socket id, as the original used), what it said in its
 * hello, and the rooms it is in, each as a Parley participant. Sending goes through an injected
 * function so this file has no socket.io in it.
 */
import type { Participant } from '../../core/participant.js';
import type { Room } from '../../core/room.js';
import type { MemberData, Outbound } from './messages.js';
import type { RoomKind } from './protocol.js';

export interface Membership {
  rid: string;
  kind: RoomKind;
  room: Room;
  participant: Participant;
}

export class JsongleSession {
  /** The hello description; null until a valid hello arrived. */
  member: MemberData | null = null;
  /** Rooms joined, by JSONgle room id. */
  readonly memberships = new Map<string, Membership>();

  constructor(
    /** The session's JID: the socket id, sent as `to` in the server's hello. */
    readonly id: string,
    readonly connectedAt: number,
    private readonly out: (message: Outbound) => void,
  ) {}

  get registered(): boolean {
    return this.member !== null;
  }

  send(message: Outbound): void {
    this.out(message);
  }
}

/** The open sessions of the dialect, by socket id. */
export class Sessions {
  private readonly byId = new Map<string, JsongleSession>();

  add(session: JsongleSession): void {
    this.byId.set(session.id, session);
  }

  delete(session: JsongleSession): void {
    if (this.byId.get(session.id) === session) this.byId.delete(session.id);
  }

  get(id: string): JsongleSession | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** The JSONgle session behind a Parley participant of room `rid`, if it is one of ours. */
  behind(participant: Participant, rid: string): JsongleSession | undefined {
    const session = this.byId.get(participant.identity);
    return session?.memberships.get(rid)?.participant === participant ? session : undefined;
  }
}
