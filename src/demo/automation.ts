/**
 * `window.parley`: a small read-only window into the demo for tests and debugging
 * (documented in docs/sdk.md).
 */
import type { ConnectionQuality, ConnectionState, Room, RoomType, TrackSource, VideoQuality } from '../client/index.js';
import { layerOfWidth } from '../client/index.js';
import type { ChatMessage } from './chat.js';

export interface RemoteVideoStats {
  sid: string;
  name: string;
  framesDecoded: number;
  framesReceived: number;
  framesPerSecond: number;
  frameWidth: number;
  frameHeight: number;
  bytesReceived: number;
  packetsLost: number;
  rttMs: number | null;
  quality: ConnectionQuality;
}

/** Receive statistics of one remote track (from the SDK's per-track getStats summary). */
export interface RemoteTrackStats {
  trackSid: string;
  source: TrackSource;
  kind: 'audio' | 'video' | 'data';
  subscribed: boolean;
  muted: boolean;
  /** The manual quality asked for with setQuality (`auto` by default). */
  quality: VideoQuality;
  /** The MediaStreamTrack's readyState, or 'none' when not subscribed. */
  readyState: MediaStreamTrackState | 'none';
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  framesPerSecond: number;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
  totalSamplesReceived: number;
  bitrate: number;
  /** Simulcast layer the decoded width matches (rid), when the publisher sends layers. */
  layer: string | null;
}

export interface RemoteTracks {
  name: string;
  tracks: Partial<Record<TrackSource, RemoteTrackStats>>;
}

/** A data message received, over signaling or an SFU data channel. */
export interface DataRecord {
  from: string | null;
  topic: string | null;
  payload: unknown;
  via: 'signaling' | 'reliable' | 'lossy';
  at: number;
}

export interface RoomEventRecord {
  type: 'participantJoined' | 'participantLeft' | 'connectionStateChanged' | 'trackSubscribed' | 'trackUnsubscribed' | 'activeSpeakerChanged' | 'subscriptionFailed';
  identity?: string;
  detail?: string;
  at: number;
}

export interface ParleyAutomation {
  room(): Room | undefined;
  state(): ConnectionState;
  /** Per remote participant identity: the video they send us, as decoded here. */
  stats(): Record<string, RemoteVideoStats>;
  /** Chat messages received from others, oldest first. */
  messages(): ChatMessage[];
  /** Participant and connection events seen since joining, oldest first. */
  events(): RoomEventRecord[];
  /** Identities of the remote participants. */
  participants(): string[];
  sendChat(text: string): Promise<void>;
  /** Drops the signaling WebSocket as a network failure would; the SDK resumes. */
  dropConnection(): void;
  /** A snapshot for diagnosing a failed test: peer connection states and track subscriptions. */
  debug(): DebugSnapshot;
  /** `sfu` or `p2p` once joined. */
  roomType(): RoomType | null;
  /** Per remote participant (by identity): its name and, per track source, the receive statistics here. */
  trackStats(): Record<string, RemoteTracks>;
  /** SFU: asks for a simulcast layer of the `source` video (default camera) of a participant, by identity or name. */
  setQuality(who: string, quality: VideoQuality, source?: TrackSource): void;
  /** SFU: subscribes to (or unsubscribes from) the `source` track of a participant, by identity or name. */
  setSubscribed(who: string, subscribed: boolean, source?: TrackSource): Promise<void>;
  /** Sends a data message (SFU rooms: over the data channel; `reliable: false` for the lossy one). */
  sendData(payload: unknown, opts?: { topic?: string; reliable?: boolean; to?: string[] }): Promise<void>;
  /** Every data message received (chat included), oldest first. */
  received(): DataRecord[];
  /** Identity of the active speaker the server announced last (SFU), or null. */
  activeSpeaker(): string | null;
  /** Publishes a moving canvas as a screen share (headless browsers have no screen to capture). */
  shareCanvas(width?: number, height?: number): Promise<void>;
  /** SFU: what the publisher connection sends, per video encoding (simulcast rid). */
  publisherStats(): Promise<OutboundEncodingStats[]>;
}

export interface OutboundEncodingStats {
  rid: string | null;
  frameWidth: number;
  framesEncoded: number;
  keyFramesEncoded: number;
  pliCount: number;
  qualityLimitationReason: string | null;
}

export interface DebugSnapshot {
  state: ConnectionState;
  localSid: string;
  localTracks: string[];
  remotes: {
    identity: string;
    sid: string;
    pc: string;
    tracks: string[];
  }[];
}

declare global {
  interface Window {
    parley: ParleyAutomation;
  }
}

export class AutomationLog {
  readonly messages: ChatMessage[] = [];
  readonly events: RoomEventRecord[] = [];
  readonly data: DataRecord[] = [];

  watch(room: Room): void {
    room.on('trackSubscribed', (_t, pub, p) => this.events.push({ type: 'trackSubscribed', identity: p.identity, detail: `${pub.source}:${pub.sid}`, at: Date.now() }));
    room.on('trackUnsubscribed', (_t, pub, p) => this.events.push({ type: 'trackUnsubscribed', identity: p.identity, detail: `${pub.source}:${pub.sid}`, at: Date.now() }));
    room.on('activeSpeakerChanged', (p) => this.events.push({ type: 'activeSpeakerChanged', ...(p ? { identity: p.identity } : {}), at: Date.now() }));
    room.on('subscriptionFailed', (trackSid, err) => this.events.push({ type: 'subscriptionFailed', detail: `${trackSid}:${err.code}`, at: Date.now() }));
    room.on('dataReceived', (payload, _p, info) =>
      this.data.push({ from: info.from?.identity ?? null, topic: info.topic ?? null, payload, via: info.via, at: Date.now() }),
    );
    room.on('participantJoined', (p) => this.events.push({ type: 'participantJoined', identity: p.identity, at: Date.now() }));
    room.on('participantLeft', (p, reason) => this.events.push({ type: 'participantLeft', identity: p.identity, detail: reason, at: Date.now() }));
    room.on('connectionStateChanged', (state) => this.events.push({ type: 'connectionStateChanged', detail: state, at: Date.now() }));
  }
}

export function installAutomation(current: () => Room | undefined, log: AutomationLog, sendChat: (text: string) => Promise<void>): void {
  window.parley = {
    room: current,
    state: () => current()?.state ?? 'disconnected',
    stats: () => {
      const out: Record<string, RemoteVideoStats> = {};
      for (const p of current()?.participants.values() ?? []) {
        const s = p.stats;
        const v = s?.video;
        out[p.identity] = {
          sid: p.sid,
          name: p.name,
          framesDecoded: v?.framesDecoded ?? 0,
          framesReceived: v?.framesReceived ?? 0,
          framesPerSecond: v?.framesPerSecond ?? 0,
          frameWidth: v?.frameWidth ?? 0,
          frameHeight: v?.frameHeight ?? 0,
          bytesReceived: v?.bytesReceived ?? 0,
          packetsLost: s?.packetsLost ?? 0,
          rttMs: s?.rttMs ?? null,
          quality: p.connectionQuality,
        };
      }
      return out;
    },
    messages: () => [...log.messages],
    events: () => [...log.events],
    participants: () => [...(current()?.participants.values() ?? [])].map((p) => p.identity),
    sendChat,
    dropConnection: () => current()?.simulateConnectionLoss(),
    roomType: () => current()?.type ?? null,
    trackStats: () => trackStats(current()),
    setQuality: (who, quality, source = 'camera') => {
      for (const p of current()?.participants.values() ?? []) {
        if (p.identity !== who && p.name !== who) continue;
        for (const t of p.trackPublications.values()) if (t.source === source) t.setVideoQuality(quality);
      }
    },
    setSubscribed: async (who, subscribed, source = 'camera') => {
      for (const p of current()?.participants.values() ?? []) {
        if (p.identity !== who && p.name !== who) continue;
        for (const t of p.trackPublications.values()) if (t.source === source) await t.setSubscribed(subscribed);
      }
    },
    sendData: async (payload, opts = {}) => {
      const room = current();
      if (!room) throw new Error('not in a room');
      await room.sendData(payload, opts);
    },
    received: () => [...log.data],
    activeSpeaker: () => current()?.activeSpeaker?.identity ?? null,
    shareCanvas: async (width = 1280, height = 720) => {
      const room = current();
      if (!room) throw new Error('not in a room');
      await room.localParticipant.publishTrack(canvasTrack(width, height), { source: 'screen', name: 'screen' });
    },
    publisherStats: async () => {
      const pc = current()?.getSfuConnections()?.publisher;
      const out: OutboundEncodingStats[] = [];
      (await pc?.getStats())?.forEach((raw: unknown) => {
        const s = raw as Record<string, unknown>;
        if (s['type'] !== 'outbound-rtp' || s['kind'] !== 'video') return;
        const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
        out.push({
          rid: typeof s['rid'] === 'string' ? s['rid'] : null,
          frameWidth: n(s['frameWidth']),
          framesEncoded: n(s['framesEncoded']),
          keyFramesEncoded: n(s['keyFramesEncoded']),
          pliCount: n(s['pliCount']),
          qualityLimitationReason: typeof s['qualityLimitationReason'] === 'string' ? s['qualityLimitationReason'] : null,
        });
      });
      return out.sort((a, b) => a.frameWidth - b.frameWidth);
    },
    debug: () => {
      const room = current();
      const local = room?.localParticipant;
      return {
        state: room?.state ?? 'disconnected',
        localSid: local?.sid ?? '',
        localTracks: [...(local?.trackPublications.values() ?? [])].map((t) => `${t.source}:${t.sid}:${t.muted ? 'muted' : 'on'}`),
        remotes: [...(room?.participants.values() ?? [])].map((p) => {
          const pc = room?.getPeerConnection(p.sid);
          const sfu = room?.getSfuConnections();
          return {
            identity: p.identity,
            sid: p.sid,
            pc: sfu ? `publisher ${describe(sfu.publisher)}; subscriber ${describe(sfu.subscriber)}` : pc ? describe(pc) : 'none',
            tracks: [...p.trackPublications.values()].map((t) => `${t.source}:${t.sid}:${t.subscribed ? 'subscribed' : 'pending'}${t.muted ? ':muted' : ''}`),
          };
        }),
      };
    },
  };
}

function describe(pc: RTCPeerConnection): string {
  return (
    `${pc.connectionState}/${pc.iceConnectionState}/${pc.signalingState}/${pc.iceGatheringState}` +
    ` candidates local=${countCandidates(pc.localDescription)} remote=${countCandidates(pc.remoteDescription)}`
  );
}

function trackStats(room: Room | undefined): Record<string, RemoteTracks> {
  const out: Record<string, RemoteTracks> = {};
  for (const p of room?.participants.values() ?? []) {
    const mine: Partial<Record<TrackSource, RemoteTrackStats>> = {};
    for (const pub of p.trackPublications.values()) {
      const s = pub.stats;
      mine[pub.source] = {
        trackSid: pub.sid,
        source: pub.source,
        kind: pub.kind,
        subscribed: pub.subscribed,
        muted: pub.muted,
        quality: pub.videoQuality,
        readyState: pub.track?.readyState ?? 'none',
        framesDecoded: s?.framesDecoded ?? 0,
        frameWidth: s?.frameWidth ?? 0,
        frameHeight: s?.frameHeight ?? 0,
        framesPerSecond: s?.framesPerSecond ?? 0,
        packetsReceived: s?.packetsReceived ?? 0,
        packetsLost: s?.packetsLost ?? 0,
        bytesReceived: s?.bytesReceived ?? 0,
        totalSamplesReceived: s?.totalSamplesReceived ?? 0,
        bitrate: s?.bitrate ?? 0,
        layer: s ? (layerOfWidth(pub.layers, s.frameWidth)?.rid ?? null) : null,
      };
    }
    out[p.identity] = { name: p.name, tracks: mine };
  }
  return out;
}

/** A canvas whose colour changes every frame, captured at 20 fps. */
function canvasTrack(width: number, height: number): MediaStreamTrack {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  let n = 0;
  setInterval(() => {
    if (!ctx) return;
    ctx.fillStyle = `hsl(${(n += 7) % 360} 70% 50%)`;
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = '#fff';
    ctx.fillText(new Date().toISOString(), 20, 40);
  }, 50);
  const [track] = canvas.captureStream(20).getVideoTracks();
  if (!track) throw new Error('no canvas track');
  return track;
}

function countCandidates(desc: RTCSessionDescription | null): number {
  return desc ? desc.sdp.split('\n').filter((l) => l.startsWith('a=candidate:')).length : 0;
}
