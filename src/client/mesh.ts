/**
 * The P2P mesh: one PeerLink per remote participant, each sending every local publication.
 * The side with the greater participant sid is polite. Remote media is reported with the cid it
 * was published under (the sender's stream id), for the room to match with the server's TrackInfo.
 */
import type { SignalPayload } from '../signaling/protocol.js';
import { TypedEmitter } from './emitter.js';
import { PeerLink } from './peer.js';
import type { MediaPlane } from './media-plane.js';
import { summarizeStats, type PeerStatsSample } from './quality.js';
import type { LocalTrackPublication } from './track.js';

export interface MeshHost {
  sendSignal(to: string, payload: SignalPayload): void;
  localPublications(): Iterable<LocalTrackPublication>;
}

export type MeshEvents = {
  remoteTrack: [participantSid: string, track: MediaStreamTrack, cid: string | undefined];
  peerState: [participantSid: string, state: RTCPeerConnectionState];
};

/** Deterministic and opposite on both ends: the greater sid is polite. */
export function isPolite(localSid: string, remoteSid: string): boolean {
  return localSid > remoteSid;
}

export class Mesh extends TypedEmitter<MeshEvents> implements MediaPlane {
  readonly type = 'p2p';
  readonly #host: MeshHost;
  readonly #peers = new Map<string, PeerLink>();
  /** Participants that left: a late signal from them must not open a new connection. */
  readonly #gone = new Set<string>();
  localSid = '';
  iceServers: RTCIceServer[] = [];

  constructor(host: MeshHost) {
    super();
    this.#host = host;
  }

  get(sid: string): PeerLink | undefined {
    return this.#peers.get(sid);
  }

  /** The link to `sid`, created (with every local track added) when missing; none once it left. */
  ensure(sid: string): PeerLink | undefined {
    const existing = this.#peers.get(sid);
    if (existing || this.#gone.has(sid)) return existing;
    const link = new PeerLink({
      polite: isPolite(this.localSid, sid),
      iceServers: this.iceServers,
      sendSignal: (payload) => this.#host.sendSignal(sid, payload),
    });
    link.on('track', (track, streams) => this.emit('remoteTrack', sid, track, streams[0]?.id));
    link.on('stateChanged', (state) => this.emit('peerState', sid, state));
    this.#peers.set(sid, link);
    for (const pub of this.#host.localPublications()) link.addTrack(pub.cid, pub.track, pub.stream);
    return link;
  }

  participantPresent(sid: string): void {
    this.ensure(sid);
  }

  participantGone(sid: string): void {
    this.remove(sid);
  }

  connectionState(sid: string): RTCPeerConnectionState | undefined {
    return this.#peers.get(sid)?.connectionState;
  }

  peerConnection(sid: string): RTCPeerConnection | undefined {
    return this.#peers.get(sid)?.pc;
  }

  handleSignal(from: string, payload: SignalPayload): void {
    this.ensure(from)?.handleSignal(payload);
  }

  remove(sid: string): void {
    this.#peers.get(sid)?.close();
    this.#peers.delete(sid);
    this.#gone.add(sid);
  }

  addLocal(pub: LocalTrackPublication): void {
    for (const link of this.#peers.values()) link.addTrack(pub.cid, pub.track, pub.stream);
  }

  removeLocal(pub: LocalTrackPublication): void {
    for (const link of this.#peers.values()) link.removeTrack(pub.cid);
  }

  setIceServers(servers: RTCIceServer[]): void {
    this.iceServers = servers;
    for (const link of this.#peers.values()) link.setIceServers(servers);
  }

  /** Restarts ICE on links that are not connected (e.g. after the network came back). */
  restartStale(): void {
    for (const link of this.#peers.values()) {
      if (link.connectionState === 'failed' || link.connectionState === 'disconnected') link.restartIce();
    }
  }

  async sample(sid: string): Promise<PeerStatsSample | undefined> {
    const link = this.#peers.get(sid);
    if (!link || link.pc.connectionState === 'closed') return undefined;
    return summarizeStats(await link.pc.getStats());
  }

  sids(): string[] {
    return [...this.#peers.keys()];
  }

  closeAll(): void {
    for (const link of this.#peers.values()) link.close();
    this.#peers.clear();
    this.#gone.clear();
  }
}
