/**
 * The SFU media plane as signaling and the room service use it. Two implementations: SfuService
 * runs the media in this thread; WorkerMediaPlane runs one SfuService per media worker thread and
 * places each room on the least-loaded worker, so media uses every core while signaling stays on
 * the main thread.
 */
import type { RoomEvent } from '../core/room-service.js';
import type { IceCandidateInit, SfuTarget, VideoQuality } from '../signaling/protocol.js';
import type { MediaParticipant, MediaRoom } from './types.js';

export interface TrackSettingsInput {
  quality?: VideoQuality | undefined;
  width?: number | undefined;
  height?: number | undefined;
  paused?: boolean | undefined;
}

export interface SfuCounters {
  /** RTP packets sent to subscribers by subscriptions that have ended (live ones are summed at read time). */
  packetsOutEnded: number;
  dataRelayed: number;
  dataDropped: number;
  subscriptionsRefused: number;
}

export interface PumpCounters {
  /** RTP packets the pump's thread sent to subscribers itself. */
  sent: number;
  sendFailures: number;
  /** Packets that were not steady and held their stream until JavaScript had handled them. */
  held: number;
  /** Datagrams dropped because JavaScript fell behind the pump. */
  dropped: number;
  /** Replayed packets whose JavaScript decision differed from what the pump sent (the route is disarmed). */
  mismatches: number;
}

export const NO_PUMP: PumpCounters = { sent: 0, sendFailures: 0, held: 0, dropped: 0, mismatches: 0 };

export interface SfuStats {
  rooms: number;
  peers: number;
  publishedTracks: number;
  subscriptions: number;
  packetsIn: number;
  /** Of those, the ones that skipped the media engine's receive chain (ADR 0010). */
  packetsInFast: number;
  /** RTP packets sent to subscribers, retransmissions included. */
  packetsOut: number;
  /** Event-loop utilisation of the busiest media thread (0..1). */
  load: number;
  counters: SfuCounters;
  /** The media pumps' own counters (ADR 0011), summed over the media threads; zeros without a pump. */
  pump: PumpCounters;
  /** One entry per media worker (empty when media runs in the main thread). */
  workers: Array<{ rooms: number; peers: number; load: number }>;
}

export interface MediaPlane {
  /** Called right after a native join into an SFU room (after the join response is sent). */
  attach(room: MediaRoom, participant: MediaParticipant, autoSubscribe: boolean): void;
  publisherOffer(participant: MediaParticipant, sdp: string, tracks: ReadonlyArray<{ mid: string; trackSid: string }>): Promise<string>;
  subscriberAnswer(participant: MediaParticipant, sdp: string): Promise<void>;
  candidate(participant: MediaParticipant, target: SfuTarget, candidate: IceCandidateInit | null): Promise<void>;
  subscribe(participant: MediaParticipant, trackSid: string, subscribe: boolean): Promise<void>;
  trackSettings(participant: MediaParticipant, trackSid: string, input: TrackSettingsInput): Promise<void>;
  /** Follows the room service: leaves, tracks, mutes, permissions, closed rooms. */
  onRoomEvent(event: RoomEvent): void;
  stats(): Promise<SfuStats>;
  close(): Promise<void>;
}
