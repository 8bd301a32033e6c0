/** The room's typed event map (like mediasoup's `ProducerEvents`) and the types its events carry. */
import type { LeaveReason, RoomInfo } from '../signaling/protocol.js';
import type { ParleyClientError } from './errors.js';
import type { Participant, RemoteParticipant } from './participant.js';
import type { ConnectionQuality } from './quality.js';
import type { ConnectionState } from './session.js';
import type { LocalTrackPublication, RemoteTrackPublication, TrackPublication } from './track.js';

export interface DataInfo {
  topic?: string;
  /** Server time (unix ms) when the message was relayed. */
  ts: number;
  /** Stamped by the server; null when the server or an admin sent it. */
  from: { sid: string; identity: string } | null;
  /** How it came: over signaling, or over the SFU room's reliable or lossy data channel. */
  via: 'signaling' | 'reliable' | 'lossy';
}

export interface SendDataOptions {
  /** Recipients: participants, their sids or identities. Default: everyone else. */
  to?: (RemoteParticipant | string)[];
  topic?: string;
  /**
   * SFU rooms: false sends over the lossy data channel (unordered, no retransmission). Default
   * true: the reliable data channel. P2P rooms always use signaling.
   */
  reliable?: boolean;
}

export type DisconnectReason = LeaveReason | 'error';

export type RoomEvents = {
  connectionStateChanged: [ConnectionState];
  /** The session ended; `error` says why when reconnecting failed. */
  disconnected: [DisconnectReason, ParleyClientError | undefined];
  participantJoined: [RemoteParticipant];
  participantLeft: [RemoteParticipant, LeaveReason];
  /** Name, metadata or permissions changed (the local participant too). */
  participantUpdated: [Participant];
  trackPublished: [RemoteTrackPublication, RemoteParticipant];
  trackUnpublished: [RemoteTrackPublication, RemoteParticipant];
  /** Remote media arrived and can be attached to a <video>/<audio> element. */
  trackSubscribed: [MediaStreamTrack, RemoteTrackPublication, RemoteParticipant];
  trackUnsubscribed: [MediaStreamTrack, RemoteTrackPublication, RemoteParticipant];
  trackMuted: [TrackPublication, Participant];
  trackUnmuted: [TrackPublication, Participant];
  localTrackPublished: [LocalTrackPublication];
  localTrackUnpublished: [LocalTrackPublication];
  dataReceived: [unknown, RemoteParticipant | undefined, DataInfo];
  connectionQualityChanged: [ConnectionQuality, Participant];
  /** Participants currently speaking, loudest first (SFU rooms: the server's active speaker). */
  activeSpeakersChanged: [Participant[]];
  /** SFU rooms: the server's loudest participant changed (undefined: nobody speaks). */
  activeSpeakerChanged: [Participant | undefined];
  /** SFU rooms: a subscription the server could not make or had to end. */
  subscriptionFailed: [trackSid: string, error: ParleyClientError, publication: RemoteTrackPublication | undefined, participant: RemoteParticipant | undefined];
  /** SFU rooms: state of the publisher or subscriber connection with the server. */
  mediaConnectionStateChanged: ['publisher' | 'subscriber', RTCPeerConnectionState];
  roomUpdated: [RoomInfo];
};

export type EmitRoomEvent = <K extends keyof RoomEvents>(event: K, ...args: RoomEvents[K]) => void;
