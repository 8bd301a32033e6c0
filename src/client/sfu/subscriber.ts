/**
 * The subscriber connection of an SFU room: the server offers (`sfu_offer` notification, with the
 * track of every m-line), the client answers (`sfu_answer`). It carries what this participant
 * receives: one m-line per subscribed track, and the server's two data channels. Offers are
 * handled one at a time, in order; the mid -> track map decides which remote track each receiver
 * plays. If ICE fails and the server's next offer does not bring it back in time, the owner is
 * told to join again.
 */
import type { IceCandidateInit, SubscribedTrack } from '../../signaling/protocol.js';
import { DATA_CHANNEL_LABELS } from '../../signaling/data-frame.js';
import { TypedEmitter } from '../emitter.js';
import { addCandidate, candidateInit } from './candidates.js';
import { decodeRoomData, type IncomingData } from './data.js';
import { SubscriberTrackMap } from './track-map.js';

export interface SubscriberHost {
  sendAnswer(sdp: string): void;
  sendCandidate(candidate: IceCandidateInit | null): void;
}

export type SubscriberEvents = {
  /** The receiver of `sub.mid` now plays `sub.trackSid`. */
  track: [SubscribedTrack, MediaStreamTrack];
  /** The subscription is gone from the server's latest offer. */
  ended: [SubscribedTrack];
  data: [IncomingData, 'reliable' | 'lossy'];
  state: [RTCPeerConnectionState];
  /** ICE stayed failed: only a new session will bring the media back. */
  unrecoverable: [];
};

/** Ms the subscriber connection may stay failed (or disconnected) before the room joins again. */
export const SUBSCRIBER_RECOVERY_MS = 12_000;

export class SfuSubscriber extends TypedEmitter<SubscriberEvents> {
  readonly pc: RTCPeerConnection;
  readonly tracks = new SubscriberTrackMap();
  readonly #host: SubscriberHost;
  #queue: Promise<void> = Promise.resolve();
  #remoteCandidates: RTCIceCandidateInit[] = [];
  #recoveryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** Counts of malformed data frames, for diagnostics. */
  droppedFrames = 0;

  constructor(iceServers: RTCIceServer[], host: SubscriberHost, recoveryMs = SUBSCRIBER_RECOVERY_MS) {
    super();
    this.#host = host;
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.pc.onicecandidate = ({ candidate }) => this.#host.sendCandidate(candidate ? candidateInit(candidate) : null);
    this.pc.ondatachannel = ({ channel }) => this.#adoptChannel(channel);
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      clearTimeout(this.#recoveryTimer);
      if (state === 'failed' || state === 'disconnected') {
        this.#recoveryTimer = setTimeout(() => {
          const now = this.pc.connectionState;
          if (!this.#closed && (now === 'failed' || now === 'disconnected')) this.emit('unrecoverable');
        }, recoveryMs);
      }
      this.emit('state', state);
    };
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** Applies the server's offer and answers it. */
  handleOffer(sdp: string, tracks: readonly SubscribedTrack[]): void {
    this.#queue = this.#queue
      .then(() => this.#applyOffer(sdp, tracks))
      .catch((err: unknown) => {
        // Not answered: the server keeps its offer outstanding, so joining again here would only
        // make every other subscriber renegotiate too. Reported for the app and for diagnosis.
        if (!this.#closed) console.warn('[parley] subscriber offer failed', String(err));
      });
  }

  addRemoteCandidate(candidate: IceCandidateInit | null): void {
    if (this.#closed || candidate === null) return;
    this.#queue = this.#queue.then(async () => {
      if (this.#closed) return;
      if (!this.pc.remoteDescription) this.#remoteCandidates.push(candidate);
      else await addCandidate(this.pc, candidate).catch((err: unknown) => console.warn('[parley] subscriber candidate refused', JSON.stringify(candidate), String(err)));
    });
  }

  /** The receiver that plays `trackSid`, if subscribed. */
  receiverOf(trackSid: string): RTCRtpReceiver | undefined {
    const sub = this.tracks.byTrackSid(trackSid);
    return sub ? this.pc.getTransceivers().find((t) => t.mid === sub.mid && t.currentDirection !== 'stopped')?.receiver : undefined;
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    if (!this.#closed) this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#recoveryTimer);
    this.pc.close();
    this.removeAllListeners();
  }

  async #applyOffer(sdp: string, tracks: readonly SubscribedTrack[]): Promise<void> {
    if (this.#closed) return;
    const pc = this.pc;
    const change = this.tracks.update(tracks);
    for (const sub of change.removed) this.emit('ended', sub);
    await pc.setRemoteDescription({ type: 'offer', sdp });
    for (const c of this.#remoteCandidates.splice(0)) await addCandidate(pc, c).catch(() => undefined);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (this.#closed) return;
    this.#host.sendAnswer(answer.sdp ?? '');
    for (const sub of change.added) {
      // A stopped m-line (port 0) may linger until negotiated away; the live one carries the track.
      const transceiver = pc.getTransceivers().find((t) => t.mid === sub.mid && t.currentDirection !== 'stopped');
      if (transceiver) this.emit('track', sub, transceiver.receiver.track);
    }
  }

  #adoptChannel(channel: RTCDataChannel): void {
    const kind = channel.label === DATA_CHANNEL_LABELS.reliable ? 'reliable' : channel.label === DATA_CHANNEL_LABELS.lossy ? 'lossy' : undefined;
    if (!kind) return;
    channel.binaryType = 'arraybuffer';
    channel.onmessage = ({ data }: MessageEvent<unknown>) => {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : undefined;
      const message = bytes ? decodeRoomData(bytes) : { error: 'not binary' };
      if ('error' in message) this.droppedFrames++;
      else this.emit('data', message, kind);
    };
  }
}
