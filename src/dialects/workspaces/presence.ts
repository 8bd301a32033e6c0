/**
 * Binding attendees to connections, and mirroring that onto Parley's rooms (one room
 * `workspaces:<id>` per workspace, identity = attendee id), so workspaces show in the admin API,
 * webhooks and metrics. Binding an attendee that is bound elsewhere moves it to the new
 * connection (Parley ends the old session with `duplicate_identity`): the fix of the original's
 * stale socketMap after a re-attend.
 */
import { ParleyError } from '../../core/errors.js';
import type { ParticipantSink } from '../../core/participant.js';
import type { RoomService } from '../../core/room-service.js';
import type { LeaveReason } from '../../signaling/protocol.js';
import type { Attendee } from './messages.js';
import type { WorkspacesMetrics } from './metrics.js';
import type { Presence, Session, Workspace } from './state.js';

export class PresenceManager {
  constructor(
    private readonly rooms: RoomService,
    private readonly metrics: WorkspacesMetrics,
    private readonly maxAttendees: number,
  ) {}

  /** Binds `attendee` to `session` in `ws`; 'full' when Parley's room refuses it. */
  bind(ws: Workspace, attendee: Attendee, session: Session): 'ok' | 'full' {
    const previous = session.bindings.get(ws.id);
    if (previous !== undefined && previous !== attendee.id) {
      const dropped = this.unbind(ws, previous, 'left');
      if (dropped) ws.emitOthers(session, previous, 'leave', dropped.attendee);
    }
    const room = this.rooms.ensure({ name: ws.roomName, origin: 'workspaces', maxParticipants: this.maxAttendees });
    const sink: ParticipantSink = {
      deliver: () => undefined, // the dialect tells its clients itself, in its own protocol
      end: (reason) => this.ended(ws, attendee.id, session, reason),
    };
    let presence: Presence;
    try {
      const { participant } = this.rooms.join({ identity: attendee.id, name: attendee.name, metadata: '', grants: { room: ws.roomName, roomJoin: true } }, sink, room);
      presence = { attendee, session, participant };
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'ROOM_FULL') return 'full';
      throw err;
    }
    ws.present.set(attendee.id, presence);
    session.bindings.set(ws.id, attendee.id);
    this.metrics.online.inc();
    return 'ok';
  }

  /** Unbinds an attendee (leave, kick, destroy, disconnect); returns what was bound. */
  unbind(ws: Workspace, attendeeId: string, reason: LeaveReason): Presence | undefined {
    const p = this.forget(ws, attendeeId);
    if (p) this.rooms.leave(p.participant, reason);
    return p;
  }

  /** Unbinds everyone and closes the Parley room at once (destroy). */
  async dissolve(ws: Workspace): Promise<void> {
    for (const id of [...ws.present.keys()]) this.unbind(ws, id, 'room_deleted');
    if (this.rooms.get(ws.roomName)) await this.rooms.delete(ws.roomName);
  }

  /** Parley ended the session: replaced by another connection, removed by an admin, shutdown. */
  private ended(ws: Workspace, attendeeId: string, session: Session, reason: LeaveReason): void {
    if (ws.present.get(attendeeId)?.session !== session) return;
    const p = this.forget(ws, attendeeId);
    if (!p) return;
    switch (reason) {
      case 'duplicate_identity':
      case 'server_shutdown':
        return;
      case 'removed':
      case 'room_deleted':
        session.socket.emit('kicked', p.attendee);
        ws.emitOthers(session, attendeeId, 'kicked', p.attendee);
        return;
      case 'left':
      case 'disconnected':
        ws.emitOthers(session, attendeeId, 'leave', p.attendee);
        return;
    }
  }

  private forget(ws: Workspace, attendeeId: string): Presence | undefined {
    const p = ws.present.get(attendeeId);
    if (!p) return undefined;
    ws.present.delete(attendeeId);
    if (p.session.bindings.get(ws.id) === attendeeId) p.session.bindings.delete(ws.id);
    this.metrics.online.dec();
    return p;
  }
}
