/**
 * How media flows in a room, behind one interface with two implementations chosen by the join
 * result's `room.type`: `Mesh` (p2p: one peer connection per remote participant) and `SfuClient`
 * (sfu: a publisher and a subscriber connection with the server). The room, the roster and the
 * stats poller talk only to this.
 */
import type { RoomType } from '../signaling/protocol.js';
import type { PeerStatsSample } from './quality.js';
import type { PresenceSink } from './roster.js';
import type { LocalTrackPublication } from './track.js';

export interface MediaPlane extends PresenceSink {
  readonly type: RoomType;
  /** Starts sending a local publication. */
  addLocal(pub: LocalTrackPublication): void;
  /** Stops sending it. */
  removeLocal(pub: LocalTrackPublication): void;
  setIceServers(servers: RTCIceServer[]): void;
  /** The signaling socket is back: restart ICE on connections that failed meanwhile. */
  restartStale(): void;
  /** getStats() summary of the media received from a remote participant. */
  sample(participantSid: string): Promise<PeerStatsSample | undefined>;
  /** State of the connection that carries that participant's media to us. */
  connectionState(participantSid: string): RTCPeerConnectionState | undefined;
  /** The connection that carries that participant's media to us, for diagnostics. */
  peerConnection(participantSid: string): RTCPeerConnection | undefined;
  closeAll(): void;
}
