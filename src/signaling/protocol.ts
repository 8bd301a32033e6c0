/**
 * Parley native signaling protocol, version 1 (docs/signaling.md).
 *
 * JSON text frames over one WebSocket. The client sends requests: `{ id?, type, ...fields }`.
 * A request with an `id` is answered by `{ type: "response", id, data }` or
 * `{ type: "error", id, code, message }`. The server also pushes notifications (no id).
 *
 * Client frames are validated here (zod) at the boundary; server frames are plain types shared
 * with the browser SDK (which imports this file with `import type` only).
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

const id = z.union([z.string().max(64), z.number().int()]);
const sid = z.string().min(1).max(64);
const metadata = z.string().max(16 * 1024);

export const trackSource = z.enum(['camera', 'microphone', 'screen', 'screen_audio', 'unknown']);
export const trackKind = z.enum(['audio', 'video', 'data']);

const iceCandidate = z
  .object({
    candidate: z.string().max(1024),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  })
  .strict();

export const signalPayload = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('offer'), sdp: z.string().min(1).max(60 * 1024) }).strict(),
  z.object({ kind: z.literal('answer'), sdp: z.string().min(1).max(60 * 1024) }).strict(),
  z.object({ kind: z.literal('candidate'), candidate: iceCandidate.nullable() }).strict(),
]);

const sdp = z.string().min(1).max(128 * 1024);

/** Simulcast layer announced by a publisher, lowest first (rids q, h, f by convention). */
export const simulcastLayer = z
  .object({
    rid: z.string().min(1).max(16).regex(/^[A-Za-z0-9_-]+$/),
    width: z.number().int().positive().max(16384),
    height: z.number().int().positive().max(16384),
    maxBitrate: z.number().int().positive().max(100_000_000).optional(),
  })
  .strict();

export const sfuTarget = z.enum(['publisher', 'subscriber']);
export const videoQuality = z.enum(['auto', 'low', 'medium', 'high']);

export const clientMessage = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('join'),
      id: id.optional(),
      token: z.string().min(1).max(8192),
      protocol: z.number().int().optional(),
      /** SFU rooms: subscribe to every track as it is published (default true). */
      autoSubscribe: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('resume'),
      id: id.optional(),
      participantSid: sid,
      resumeToken: z.string().min(16).max(256),
      /** Last notification sequence number the client processed; later ones are replayed. */
      lastSeq: z.number().int().nonnegative().optional(),
    })
    .strict(),
  z.object({ type: z.literal('leave'), id: id.optional() }).strict(),
  z
    .object({
      type: z.literal('publish_track'),
      id: id.optional(),
      /** Client-side track id (e.g. MediaStreamTrack.id), echoed back so the client can match. */
      cid: z.string().max(128),
      kind: trackKind,
      source: trackSource.default('unknown'),
      name: z.string().max(256).optional(),
      muted: z.boolean().optional(),
      width: z.number().int().positive().max(16384).optional(),
      height: z.number().int().positive().max(16384).optional(),
      /** SFU rooms: the simulcast layers the publisher sends, lowest first (at most 3). */
      layers: z.array(simulcastLayer).min(1).max(3).optional(),
    })
    .strict(),
  z.object({ type: z.literal('unpublish_track'), id: id.optional(), trackSid: sid }).strict(),
  z.object({ type: z.literal('mute_track'), id: id.optional(), trackSid: sid, muted: z.boolean() }).strict(),
  z.object({ type: z.literal('signal'), id: id.optional(), to: sid, payload: signalPayload }).strict(),
  z
    .object({
      type: z.literal('data'),
      id: id.optional(),
      /** Participant sids to deliver to; omitted or empty: everyone else in the room. */
      to: z.array(sid).max(256).optional(),
      topic: z.string().max(256).optional(),
      payload: z.unknown(),
    })
    .strict(),
  z.object({ type: z.literal('update_participant'), id: id.optional(), name: z.string().max(256).optional(), metadata: metadata.optional() }).strict(),
  z.object({ type: z.literal('ice_servers'), id: id.optional() }).strict(),
  z.object({ type: z.literal('ping'), id: id.optional(), ts: z.number().optional() }).strict(),
  // ---- SFU rooms (docs/signaling.md "SFU rooms")
  z
    .object({
      type: z.literal('sfu_offer'),
      id: id.optional(),
      /** Offer of the client's publisher connection; the response carries the server's answer. */
      sdp,
      /** Which m-line carries which published track. */
      tracks: z.array(z.object({ mid: z.string().min(1).max(32), trackSid: sid }).strict()).max(64).default([]),
    })
    .strict(),
  z.object({ type: z.literal('sfu_answer'), id: id.optional(), sdp }).strict(),
  z.object({ type: z.literal('sfu_candidate'), id: id.optional(), target: sfuTarget, candidate: iceCandidate.nullable() }).strict(),
  z.object({ type: z.literal('subscribe'), id: id.optional(), trackSid: sid, subscribe: z.boolean() }).strict(),
  z
    .object({
      type: z.literal('track_settings'),
      id: id.optional(),
      trackSid: sid,
      /** Manual layer choice; `auto` (default) follows bandwidth and the display size. */
      quality: videoQuality.optional(),
      /** Size at which the subscriber displays the video, in CSS pixels times devicePixelRatio. */
      width: z.number().int().min(0).max(16384).optional(),
      height: z.number().int().min(0).max(16384).optional(),
      /** Stop forwarding this track to me without unsubscribing (hidden tile). */
      paused: z.boolean().optional(),
    })
    .strict(),
]);

export type ClientMessage = z.infer<typeof clientMessage>;
export type ClientMessageType = ClientMessage['type'];
export type SignalPayload = z.infer<typeof signalPayload>;
export type TrackSource = z.infer<typeof trackSource>;
export type TrackKind = z.infer<typeof trackKind>;
export type SimulcastLayer = z.infer<typeof simulcastLayer>;
export type SfuTarget = z.infer<typeof sfuTarget>;
export type VideoQuality = z.infer<typeof videoQuality>;
export type IceCandidateInit = z.infer<typeof iceCandidate>;

// ---- server -> client ---------------------------------------------------------------------

export interface Permissions {
  canPublish: boolean;
  canSubscribe: boolean;
  canPublishData: boolean;
  hidden: boolean;
  roomAdmin: boolean;
}

export interface TrackInfo {
  sid: string;
  cid: string;
  kind: TrackKind;
  source: TrackSource;
  name: string;
  muted: boolean;
  width?: number;
  height?: number;
  /** SFU rooms: simulcast layers, lowest first. */
  layers?: SimulcastLayer[];
}

export interface ParticipantInfo {
  sid: string;
  identity: string;
  name: string;
  metadata: string;
  joinedAt: number;
  permissions: Permissions;
  tracks: TrackInfo[];
}

export type RoomType = 'sfu' | 'p2p';

export interface RoomInfo {
  sid: string;
  name: string;
  /** `sfu`: media goes through the server; `p2p`: a mesh, the server relays `signal` messages. */
  type: RoomType;
  metadata: string;
  maxParticipants: number;
  emptyTimeout: number;
  createdAt: number;
  numParticipants: number;
  /** "native", or the dialect whose clients use the room (jsongle, workspaces, inclubit). */
  origin: string;
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface JoinResult {
  protocol: number;
  room: RoomInfo;
  participant: ParticipantInfo;
  /** Everyone else in the room who is not hidden. */
  participants: ParticipantInfo[];
  iceServers: IceServer[];
  /** Unix ms when the TURN credentials in iceServers expire; the SDK refreshes before. */
  iceServersExpireAt: number | null;
  resumeToken: string;
  /** Seconds a dropped connection may take to resume. */
  resumeGrace: number;
  serverVersion: string;
}

export type LeaveReason = 'left' | 'disconnected' | 'removed' | 'duplicate_identity' | 'room_deleted' | 'server_shutdown';

export type ServerNotification =
  | { type: 'participant_joined'; participant: ParticipantInfo }
  | { type: 'participant_left'; participantSid: string; identity: string; reason: LeaveReason }
  | { type: 'participant_updated'; participant: ParticipantInfo }
  | { type: 'track_published'; participantSid: string; track: TrackInfo }
  | { type: 'track_unpublished'; participantSid: string; trackSid: string }
  | { type: 'track_muted'; participantSid: string; trackSid: string; muted: boolean }
  | { type: 'room_updated'; room: RoomInfo }
  | { type: 'signal'; from: string; payload: SignalPayload }
  | { type: 'data'; from: { sid: string; identity: string } | null; topic?: string; payload: unknown; ts: number }
  /** SFU: the server's offer for the subscriber connection; answer with `sfu_answer`. */
  | { type: 'sfu_offer'; sdp: string; tracks: SubscribedTrack[] }
  | { type: 'sfu_candidate'; target: SfuTarget; candidate: IceCandidateInit | null }
  /** SFU: the loudest participant now (null: nobody speaks). */
  | { type: 'active_speaker'; participantSid: string | null }
  /** SFU: a subscription the server could not make or had to end (admission control, permission). */
  | { type: 'subscription_failed'; trackSid: string; code: string; message: string }
  /**
   * SFU: the server lost this participant's media connections (their media worker failed); join
   * again (the SDK does) to publish and subscribe anew. Signaling and the room are unaffected.
   */
  | { type: 'media_reset'; reason: 'media_worker_failed' }
  /** The server ended this session (you were removed, replaced, or the room closed). */
  | { type: 'leave'; reason: LeaveReason; message?: string };

/** One m-line of the subscriber connection and the published track it carries. */
export interface SubscribedTrack {
  mid: string;
  trackSid: string;
  participantSid: string;
  kind: 'audio' | 'video';
}

/** Every notification carries a per-session sequence number, used by resume to replay. */
export type SequencedNotification = ServerNotification & { seq: number };

export type ServerFrame =
  | SequencedNotification
  /** `id` is absent only for a `resume` sent without one: its response is always sent, before the replay. */
  | { type: 'response'; id?: string | number; data: unknown }
  | { type: 'error'; id?: string | number; code: string; message: string; details?: unknown }
  | { type: 'pong'; id?: string | number; ts?: number; serverTs: number };
