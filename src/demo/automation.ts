/**
 * `window.parley`: a small read-only window into the demo for tests and debugging
 * (documented in docs/sdk.md).
 */
import type { ConnectionQuality, ConnectionState, Room } from '../client/index.js';
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

export interface RoomEventRecord {
  type: 'participantJoined' | 'participantLeft' | 'connectionStateChanged';
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

  watch(room: Room): void {
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
    debug: () => {
      const room = current();
      const local = room?.localParticipant;
      return {
        state: room?.state ?? 'disconnected',
        localSid: local?.sid ?? '',
        localTracks: [...(local?.trackPublications.values() ?? [])].map((t) => `${t.source}:${t.sid}:${t.muted ? 'muted' : 'on'}`),
        remotes: [...(room?.participants.values() ?? [])].map((p) => {
          const pc = room?.getPeerConnection(p.sid);
          return {
            identity: p.identity,
            sid: p.sid,
            pc: pc
              ? `${pc.connectionState}/${pc.iceConnectionState}/${pc.signalingState}/${pc.iceGatheringState}` +
                ` candidates local=${countCandidates(pc.localDescription)} remote=${countCandidates(pc.remoteDescription)}`
              : 'none',
            tracks: [...p.trackPublications.values()].map((t) => `${t.source}:${t.sid}:${t.subscribed ? 'subscribed' : 'pending'}${t.muted ? ':muted' : ''}`),
          };
        }),
      };
    },
  };
}

function countCandidates(desc: RTCSessionDescription | null): number {
  return desc ? desc.sdp.split('\n').filter((l) => l.startsWith('a=candidate:')).length : 0;
}
