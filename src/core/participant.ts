/**
 * A participant in a room: identity, permissions and published tracks. No I/O: notifications go
 * to an injected sink (the signaling session), which owns delivery, sequencing and resume.
 */
import type { LeaveReason, ParticipantInfo, Permissions, ServerNotification, TrackInfo } from '../signaling/protocol.js';

export interface ParticipantSink {
  deliver(notification: ServerNotification): void;
  /** The server ends this participant's session (removed, replaced, room closed). */
  end(reason: LeaveReason, message?: string): void;
}

export class Participant {
  readonly tracks = new Map<string, TrackInfo>();

  constructor(
    readonly sid: string,
    readonly identity: string,
    public name: string,
    public metadata: string,
    public permissions: Permissions,
    readonly joinedAt: number,
    public sink: ParticipantSink,
  ) {}

  get hidden(): boolean {
    return this.permissions.hidden;
  }

  info(): ParticipantInfo {
    return {
      sid: this.sid,
      identity: this.identity,
      name: this.name,
      metadata: this.metadata,
      joinedAt: this.joinedAt,
      permissions: { ...this.permissions },
      tracks: [...this.tracks.values()].map((t) => ({ ...t })),
    };
  }
}
