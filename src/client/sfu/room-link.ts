/**
 * Wires an SFU room's connections to the rest of the room: requests go through the signaling
 * session, remote media is matched by the roster, data and connection states become room events.
 */
import { ParleyClientError } from '../errors.js';
import type { EmitRoomEvent } from '../events.js';
import type { Roster } from '../roster.js';
import type { OutboundMessage } from '../signal-connection.js';
import { SfuClient, type SfuOptions } from './sfu-client.js';

export interface RoomLink {
  request(message: OutboundMessage, retry?: boolean): Promise<unknown>;
  send(message: OutboundMessage): void;
  roster: Roster;
  emit: EmitRoomEvent;
  /** The room's SFU connections now: events of replaced ones are ignored. */
  current(): SfuClient | undefined;
  /** Joins again as a new participant (the subscriber connection could not recover). */
  rejoin(): void;
}

export function connectSfu(iceServers: RTCIceServer[], link: RoomLink, opts: SfuOptions): SfuClient {
  const { roster, emit } = link;
  const sfu: SfuClient = new SfuClient(
    iceServers,
    {
      request: (message, retry) => link.request(message, retry),
      send: (message) => link.send(message),
      remotePublication: (trackSid) => roster.findPublication(trackSid)?.pub,
      remoteTrack: (sub, track) => roster.remoteTrackBySid(sub.participantSid, sub.trackSid, track),
      remoteTrackEnded: (sub) => roster.remoteTrackEnded(sub.participantSid, sub.trackSid),
      data: (message, via) => {
        emit('dataReceived', message.payload, roster.participants.get(message.from.sid), {
          ...(message.topic !== undefined ? { topic: message.topic } : {}),
          ts: Date.now(),
          from: message.from,
          via,
        });
      },
      connectionState: (which, state) => {
        if (link.current() === sfu) emit('mediaConnectionStateChanged', which, state);
      },
      rejoin: () => {
        if (link.current() === sfu) link.rejoin();
      },
      subscriptionFailed: (trackSid, err) => {
        const found = roster.findPublication(trackSid);
        const error = err instanceof ParleyClientError ? err : new ParleyClientError('MEDIA_OVERLOADED', String(err), err);
        emit('subscriptionFailed', trackSid, error, found?.pub, found?.participant);
      },
    },
    opts,
  );
  sfu.publisher.on('negotiationFailed', (err) => console.warn('[parley] the server refused the published tracks', err));
  return sfu;
}
