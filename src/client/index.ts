/** Parley browser SDK: `import { Room } from '/parley-sdk.js'`. Documented in docs/sdk.md. */
export { Room } from './room.js';
export type { RoomEvents, RoomOptions, DataInfo, SendDataOptions, DisconnectReason } from './room.js';
export type { ConnectionState, SessionOptions } from './session.js';
export { Participant, RemoteParticipant } from './participant.js';
export { LocalParticipant } from './local-participant.js';
export type { PublishOptions, CaptureOptions, ScreenShareOptions } from './local-participant.js';
export { TrackPublication, LocalTrackPublication, RemoteTrackPublication } from './track.js';
export { ParleyClientError } from './errors.js';
export type { ConnectionQuality, PeerStatsSample, VideoReceiveStats } from './quality.js';
export type { InboundTrackStats } from './track-stats.js';
export type { SubscriptionControl } from './track.js';
export { layerOfWidth, simulcastPlan } from './sfu/simulcast.js';
export { TypedEmitter } from './emitter.js';
export type { BackoffOptions } from './backoff.js';
export type { SignalConnectionOptions } from './signal-connection.js';
export type { LeaveReason, ParticipantInfo, RoomInfo, RoomType, SimulcastLayer, TrackInfo, TrackSource, TrackKind, VideoQuality } from '../signaling/protocol.js';
export const SDK_VERSION = '0.1.0';
