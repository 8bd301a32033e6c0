/**
 * The publisher connection of an SFU room: the client offers (`sfu_offer {sdp, tracks}`) and
 * applies the server's answer from the response. It carries the local tracks (video with
 * simulcast encodings when planned) and the two client data channels. Negotiations run one at a
 * time; changes made meanwhile are folded into one more round. ICE candidates found while an offer
 * is in flight are held until the answer, so the server never hears of them before the offer.
 */
import type { IceCandidateInit } from '../../signaling/protocol.js';
import { DATA_CHANNEL_LABELS } from '../../signaling/data-frame.js';
import { TypedEmitter } from '../emitter.js';
import { ParleyClientError } from '../errors.js';
import type { LocalTrackPublication } from '../track.js';
import { addCandidate, candidateInit } from './candidates.js';

export interface PublisherHost {
  /** Sends `sfu_offer` and resolves with the answer's SDP. */
  offer(sdp: string, tracks: { mid: string; trackSid: string }[]): Promise<string>;
  sendCandidate(candidate: IceCandidateInit | null): void;
}

export type PublisherEvents = {
  state: [RTCPeerConnectionState];
  /** A negotiation was refused (e.g. MEDIA_OVERLOADED); the tracks it carried are not sent. */
  negotiationFailed: [unknown];
};

/** Ms a publisher connection may stay `disconnected` before ICE is restarted. */
export const PUBLISHER_DISCONNECTED_RESTART_MS = 4000;

export class SfuPublisher extends TypedEmitter<PublisherEvents> {
  readonly pc: RTCPeerConnection;
  readonly reliable: RTCDataChannel;
  readonly lossy: RTCDataChannel;
  readonly #host: PublisherHost;
  /** Transceiver of every published track, by track sid. */
  readonly #senders = new Map<string, RTCRtpTransceiver>();
  #running = false;
  #again = false;
  #iceRestart = false;
  #inFlight = false;
  #heldCandidates: (IceCandidateInit | null)[] = [];
  #remoteCandidates: RTCIceCandidateInit[] = [];
  #disconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(iceServers: RTCIceServer[], host: PublisherHost) {
    super();
    this.#host = host;
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.reliable = this.pc.createDataChannel(DATA_CHANNEL_LABELS.reliable, { ordered: true });
    this.lossy = this.pc.createDataChannel(DATA_CHANNEL_LABELS.lossy, { ordered: false, maxRetransmits: 0 });
    for (const channel of [this.reliable, this.lossy]) channel.binaryType = 'arraybuffer';
    this.pc.onicecandidate = ({ candidate }) => {
      const init = candidate ? candidateInit(candidate) : null;
      if (this.#inFlight) this.#heldCandidates.push(init);
      else this.#host.sendCandidate(init);
    };
    this.pc.onconnectionstatechange = () => this.#stateChanged();
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** Sends `pub` (with `encodings` for simulcast) and renegotiates. */
  addTrack(pub: LocalTrackPublication, encodings?: RTCRtpEncodingParameters[]): void {
    if (this.#closed || this.#senders.has(pub.sid)) return;
    const transceiver = this.pc.addTransceiver(pub.track, {
      direction: 'sendonly',
      streams: [pub.stream],
      ...(encodings ? { sendEncodings: encodings } : {}),
    });
    this.#senders.set(pub.sid, transceiver);
    this.negotiate();
  }

  /** Stops sending the track (its m-line goes inactive) and renegotiates. */
  removeTrack(trackSid: string): void {
    const transceiver = this.#senders.get(trackSid);
    if (!transceiver || this.#closed) return;
    this.#senders.delete(trackSid);
    this.pc.removeTrack(transceiver.sender);
    this.negotiate();
  }

  /** Restarts ICE with a new offer (after a failure or a network change). */
  restartIce(): void {
    if (this.#closed) return;
    this.#iceRestart = true;
    this.negotiate();
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    if (!this.#closed) this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  addRemoteCandidate(candidate: IceCandidateInit | null): void {
    if (this.#closed || candidate === null) return;
    if (!this.pc.remoteDescription) this.#remoteCandidates.push(candidate);
    else addCandidate(this.pc, candidate).catch((err: unknown) => console.warn('[parley] publisher candidate refused', err));
  }

  /** Runs a negotiation now, or one more after the current one. */
  negotiate(): void {
    this.#again = true;
    if (this.#running || this.#closed) return;
    this.#running = true;
    void this.#loop();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#disconnectTimer);
    this.pc.close();
    this.removeAllListeners();
  }

  async #loop(): Promise<void> {
    try {
      while (this.#again && !this.#closed) {
        this.#again = false;
        await this.#negotiateOnce();
      }
    } finally {
      this.#running = false;
    }
  }

  async #negotiateOnce(): Promise<void> {
    const pc = this.pc;
    const iceRestart = this.#iceRestart;
    this.#iceRestart = false;
    this.#inFlight = true;
    try {
      const offer = await pc.createOffer(iceRestart ? { iceRestart: true } : {});
      await pc.setLocalDescription(offer);
      const tracks: { mid: string; trackSid: string }[] = [];
      for (const [trackSid, t] of this.#senders) if (t.mid !== null) tracks.push({ mid: t.mid, trackSid });
      const sdp = await this.#host.offer(offer.sdp ?? '', tracks);
      if (this.#closed) return;
      await pc.setRemoteDescription({ type: 'answer', sdp });
      for (const c of this.#remoteCandidates.splice(0)) await addCandidate(pc, c).catch(() => undefined);
    } catch (err) {
      if (this.#closed) return;
      console.warn('[parley] publisher negotiation failed', err);
      if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' }).catch(() => undefined);
      if (iceRestart) this.#iceRestart = true;
      // A lost answer is worth another try; a refusal (e.g. MEDIA_OVERLOADED) is the app's to handle.
      if (err instanceof ParleyClientError && err.code === 'REQUEST_TIMEOUT') setTimeout(() => this.negotiate(), 1000);
      else this.emit('negotiationFailed', err);
    } finally {
      this.#inFlight = false;
      for (const c of this.#heldCandidates.splice(0)) this.#host.sendCandidate(c);
    }
  }

  #stateChanged(): void {
    const state = this.pc.connectionState;
    clearTimeout(this.#disconnectTimer);
    if (state === 'failed') this.restartIce();
    else if (state === 'disconnected') {
      this.#disconnectTimer = setTimeout(() => {
        if (this.pc.connectionState === 'disconnected') this.restartIce();
      }, PUBLISHER_DISCONNECTED_RESTART_MS);
    }
    this.emit('state', state);
  }
}
