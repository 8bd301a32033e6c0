/**
 * One RTCPeerConnection to one remote participant (P2P mesh), negotiated with the "perfect
 * negotiation" pattern (https://www.w3.org/TR/webrtc/#perfect-negotiation-example): either side
 * may offer whenever its tracks change; on a collision the polite side rolls back and answers,
 * the impolite side ignores the other's offer. The room decides who is polite.
 */
import type { SignalPayload } from '../signaling/protocol.js';
import { TypedEmitter } from './emitter.js';

/** Ms a negotiated connection may take to connect before ICE is restarted (then doubled, up to 30 s). */
export const ICE_CONNECT_TIMEOUT_MS = 6000;

export interface PeerLinkOptions {
  polite: boolean;
  iceServers: RTCIceServer[];
  /** Relays a payload to the remote through the signaling server. */
  sendSignal: (payload: SignalPayload) => void;
}

export type PeerLinkEvents = {
  /** A remote track arrived, with the remote's stream ids (the SDK uses one stream per track). */
  track: [MediaStreamTrack, readonly MediaStream[]];
  stateChanged: [RTCPeerConnectionState];
};

export class PeerLink extends TypedEmitter<PeerLinkEvents> {
  readonly pc: RTCPeerConnection;
  readonly polite: boolean;
  readonly #send: (payload: SignalPayload) => void;
  readonly #senders = new Map<string, RTCRtpSender>();
  #makingOffer = false;
  #ignoreOffer = false;
  #answerPending = false;
  /** Inbound signals run one at a time, in arrival order. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  #iceTimer: ReturnType<typeof setTimeout> | undefined;
  #iceRestarts = 0;

  constructor(opts: PeerLinkOptions) {
    super();
    this.polite = opts.polite;
    this.#send = opts.sendSignal;
    this.pc = new RTCPeerConnection({ iceServers: opts.iceServers });
    this.pc.onnegotiationneeded = () => void this.#offer();
    this.pc.onicecandidate = ({ candidate }) => {
      this.#send({
        kind: 'candidate',
        candidate: candidate
          ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex, usernameFragment: candidate.usernameFragment }
          : null,
      });
    };
    this.pc.ontrack = (ev) => this.emit('track', ev.track, ev.streams);
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      if (state === 'failed') this.pc.restartIce();
      this.#watchConnect();
      this.emit('stateChanged', state);
    };
    this.pc.onsignalingstatechange = () => this.#watchConnect();
  }

  /**
   * A negotiated connection that does not connect in time (no candidates gathered after a network
   * change, a lost candidate, a NAT binding gone) gets an ICE restart; the impolite side tries first.
   */
  #watchConnect(): void {
    clearTimeout(this.#iceTimer);
    const pc = this.pc;
    if (this.#closed || pc.connectionState === 'connected' || pc.connectionState === 'closed') {
      if (pc.connectionState === 'connected') this.#iceRestarts = 0;
      return;
    }
    if (pc.signalingState !== 'stable' || !pc.remoteDescription) return;
    const delay = Math.min(30_000, ICE_CONNECT_TIMEOUT_MS * 2 ** this.#iceRestarts) * (this.polite ? 1.5 : 1);
    this.#iceTimer = setTimeout(() => {
      if (this.#closed || pc.connectionState === 'connected') return;
      this.#iceRestarts++;
      pc.restartIce();
    }, delay);
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** Sends `track` to the remote, in `stream` (whose id is the publication's cid). */
  addTrack(cid: string, track: MediaStreamTrack, stream: MediaStream): void {
    if (this.#closed || this.#senders.has(cid)) return;
    this.#senders.set(cid, this.pc.addTrack(track, stream));
  }

  removeTrack(cid: string): void {
    const sender = this.#senders.get(cid);
    if (!sender || this.#closed) return;
    this.#senders.delete(cid);
    this.pc.removeTrack(sender);
  }

  async replaceTrack(cid: string, track: MediaStreamTrack | null): Promise<void> {
    await this.#senders.get(cid)?.replaceTrack(track);
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    if (this.#closed) return;
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  /** Restarts ICE (after a network change); negotiation follows by itself. */
  restartIce(): void {
    if (!this.#closed) this.pc.restartIce();
  }

  handleSignal(payload: SignalPayload): void {
    this.#queue = this.#queue
      .then(() => this.#apply(payload))
      .catch((err: unknown) => {
        if (!this.#closed) console.warn('[parley] signal handling failed', err);
      });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#iceTimer);
    this.pc.close();
    this.removeAllListeners();
  }

  async #offer(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#makingOffer = true;
      await this.pc.setLocalDescription();
      const sdp = this.pc.localDescription;
      if (sdp && sdp.type === 'offer') this.#send({ kind: 'offer', sdp: sdp.sdp });
    } catch (err) {
      if (!this.#closed) console.warn('[parley] offer failed', err);
    } finally {
      this.#makingOffer = false;
    }
  }

  async #apply(payload: SignalPayload): Promise<void> {
    if (this.#closed) return;
    const pc = this.pc;
    if (payload.kind === 'candidate') {
      if (!payload.candidate) return;
      try {
        await pc.addIceCandidate(payload.candidate);
      } catch (err) {
        if (!this.#ignoreOffer) throw err;
      }
      return;
    }
    const readyForOffer = !this.#makingOffer && (pc.signalingState === 'stable' || this.#answerPending);
    const collision = payload.kind === 'offer' && !readyForOffer;
    this.#ignoreOffer = !this.polite && collision;
    if (this.#ignoreOffer) return;
    this.#answerPending = payload.kind === 'answer';
    try {
      await pc.setRemoteDescription({ type: payload.kind, sdp: payload.sdp });
    } finally {
      this.#answerPending = false;
    }
    if (payload.kind === 'offer') {
      await pc.setLocalDescription();
      const answer = pc.localDescription;
      if (answer) this.#send({ kind: 'answer', sdp: answer.sdp });
    }
  }
}
