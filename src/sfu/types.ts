/**
 * What the media plane needs of a room and a participant. The core's Room and Participant satisfy
 * these in-process; in a media worker thread, proxies kept up to date from the room events do
 * (worker.ts), so the SFU code is the same on either side of the thread boundary.
 */
import type { Permissions, ServerNotification, TrackInfo } from '../signaling/protocol.js';

export interface MediaParticipant {
  readonly sid: string;
  readonly identity: string;
  readonly permissions: Permissions;
  readonly tracks: ReadonlyMap<string, TrackInfo>;
  readonly sink: { deliver(notification: ServerNotification): void };
}

export interface MediaRoom {
  readonly sid: string;
  readonly name: string;
  broadcast(notification: ServerNotification): void;
}
