/**
 * One participant of an SFU room, media side: its publisher connection (the client offers) and its
 * subscriber connection (Parley offers), the negotiation state of each, its subscriptions and the
 * RTCP coming back from it. Operations on one connection are serialised: a trickled candidate that
 * arrives while the offer it belongs to is still being applied waits for it.
 */
import { ParleyError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { IceCandidate, IncomingTrack, MediaKind, MediaTransport, OutgoingTrack, TransportState } from '../media/engine/transport.js';
import { SubscriberBandwidth, SubscriberRtcpRouter, type Clock, type StreamContinuation } from '../media/forwarding/index.js';
import { DATA_CHANNEL_LABELS } from '../signaling/data-frame.js';
import type { IceCandidateInit, SfuTarget, SubscribedTrack } from '../signaling/protocol.js';
import type { PublishedTrack } from './published-track.js';
import { Subscription } from './subscription.js';
import { checkDescription, withoutRecvonlySsrcs } from './sdp-check.js';
import type { MediaParticipant } from './types.js';

export interface SfuPeerHost {
  readonly clock: Clock;
  readonly logger: Logger;
  createTransport(id: string): MediaTransport;
  /** A layer of a published track arrived on the publisher connection (mid known). */
  onIncomingTrack(peer: SfuPeer, trackSid: string, track: IncomingTrack): void;
  /** A message on one of the publisher connection's data channels. */
  onData(peer: SfuPeer, label: string, data: Buffer | string): void;
  /** The subscriber connection's new m-lines are negotiated: their down-tracks can start. */
  onSubscriberNegotiated(peer: SfuPeer): void;
  onTransportState(peer: SfuPeer, target: SfuTarget, state: TransportState): void;
  /** A subscription is about to end (its counters are folded into the room's). */
  onSubscriptionEnded(sub: Subscription): void;
}

/** Early candidates kept per connection; a client has a handful per interface. */
const MAX_EARLY_CANDIDATES = 64;

/** A queue of async operations run one after another; a failure does not block the next. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.tail.then(op, op);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class SfuPeer {
  readonly sid: string;
  readonly identity: string;
  readonly subscriptions = new Map<string, Subscription>();
  /** Ended m-lines of the subscriber connection, to reuse (werift-transport.ts OutgoingTrack.stop says why). */
  private readonly idle: Array<{ out: OutgoingTrack; mimeType: string; continuation?: StreamContinuation }> = [];
  readonly rtcp: SubscriberRtcpRouter;
  readonly bandwidth: SubscriberBandwidth;
  publisher: MediaTransport | undefined;
  readonly subscriber: MediaTransport;
  /** mid of the publisher connection -> published track sid. */
  private readonly publishedMids = new Map<string, string>();
  private readonly publisherOps = new Serial();
  private readonly subscriberOps = new Serial();
  /** An offer on the subscriber connection waits for its answer. */
  private offerOutstanding = false;
  /**
   * Server candidates wait until the client has the description they belong to (the publisher
   * answer is in a response, the subscriber offer in a notification); a client cannot add a
   * candidate before its remote description.
   */
  private readonly gates: Record<SfuTarget, Array<() => void> | undefined> = { publisher: [], subscriber: [] };
  /**
   * Client candidates that arrived before the description they belong to (a browser trickles as
   * soon as its local description is set, which can be before its answer or offer reaches us).
   */
  private readonly early: Record<SfuTarget, IceCandidate[]> = { publisher: [], subscriber: [] };
  private renegotiate = false;
  private closed = false;

  constructor(
    readonly participant: MediaParticipant,
    readonly autoSubscribe: boolean,
    private readonly host: SfuPeerHost,
  ) {
    this.sid = participant.sid;
    this.identity = participant.identity;
    this.bandwidth = new SubscriberBandwidth({ clock: host.clock });
    this.rtcp = new SubscriberRtcpRouter({
      onRemb: (bitrate) => this.bandwidth.onRemb(bitrate),
      onReceptionReport: (report) => this.bandwidth.onReceptionReport(report.fractionLost),
    });
    this.subscriber = host.createTransport(`${this.sid}/sub`);
    this.subscriber.createDataChannel(DATA_CHANNEL_LABELS.reliable, { ordered: true });
    this.subscriber.createDataChannel(DATA_CHANNEL_LABELS.lossy, { ordered: false, maxRetransmits: 0 });
    this.wire(this.subscriber, 'subscriber');
    this.subscriber.on('rtcp', (buf) => this.rtcp.route(buf));
  }

  get log(): Logger {
    return this.host.logger;
  }

  // ---- publisher connection: the client offers

  answerPublisher(sdp: string, tracks: ReadonlyArray<{ mid: string; trackSid: string }>): Promise<string> {
    checkDescription(sdp, 'publisher offer', tracks.map((t) => t.mid));
    return this.publisherOps.run(async () => {
      for (const t of tracks) this.publishedMids.set(t.mid, t.trackSid);
      let transport = this.publisher;
      if (transport === undefined) {
        transport = this.host.createTransport(`${this.sid}/pub`);
        this.publisher = transport;
        this.wire(transport, 'publisher');
        transport.on('track', (track) => this.incoming(track));
        transport.on('data', (m) => this.host.onData(this, m.label, m.data));
      }
      try {
        await transport.setRemoteDescription({ type: 'offer', sdp });
      } catch (err) {
        throw new ParleyError('SDP_INVALID', `the publisher offer could not be applied: ${errorText(err)}`);
      }
      await this.flushEarly('publisher', transport);
      const answer = withoutRecvonlySsrcs((await transport.createAnswer()).sdp);
      // after the response that carries the answer has been written
      setImmediate(() => this.openGate('publisher'));
      return answer;
    });
  }

  private openGate(target: SfuTarget): void {
    const queued = this.gates[target];
    if (queued === undefined) return;
    this.gates[target] = undefined;
    for (const send of queued) send();
  }

  /** The published track sid carried by a publisher m-line. */
  trackOfMid(mid: string | undefined): string | undefined {
    return mid === undefined ? undefined : this.publishedMids.get(mid);
  }

  forgetPublishedTrack(trackSid: string): void {
    for (const [mid, sid] of this.publishedMids) if (sid === trackSid) this.publishedMids.delete(mid);
  }

  private incoming(track: IncomingTrack): void {
    const trackSid = this.trackOfMid(track.mid);
    if (trackSid === undefined) {
      this.log.warn({ mid: track.mid, rid: track.rid }, 'incoming track on an m-line no sfu_offer named; ignored');
      return;
    }
    this.host.onIncomingTrack(this, trackSid, track);
  }

  // ---- subscriber connection: Parley offers

  subscribe(track: PublishedTrack): Subscription {
    const existing = this.subscriptions.get(track.sid);
    if (existing !== undefined) return existing;
    // an ended m-line of the same kind and codec is reused, continuing its stream
    const idle = this.idle.findIndex((i) => i.out.kind === track.kind && i.mimeType === track.mimeType.toLowerCase());
    let sub: Subscription;
    if (idle >= 0) {
      const [reused] = this.idle.splice(idle, 1);
      if (reused === undefined) throw new Error('unreachable');
      reused.out.resume();
      sub = new Subscription(track, reused.out, reused.continuation);
    } else {
      sub = new Subscription(track, this.subscriber.addOutgoing(track.kind as MediaKind, { mimeType: track.mimeType }));
    }
    this.subscriptions.set(track.sid, sub);
    this.negotiate();
    return sub;
  }

  unsubscribe(trackSid: string): boolean {
    const sub = this.subscriptions.get(trackSid);
    if (sub === undefined) return false;
    this.subscriptions.delete(trackSid);
    if (sub.downTrack !== undefined) this.rtcp.remove(sub.downTrack);
    this.host.onSubscriptionEnded(sub);
    const continuation = sub.close();
    this.idle.push({ out: sub.out, mimeType: sub.track.mimeType.toLowerCase(), ...(continuation !== undefined ? { continuation } : {}) });
    this.negotiate();
    return true;
  }

  /** Sends a new offer for the subscriber connection, or marks one as due after the outstanding one. */
  negotiate(): void {
    if (this.closed) return;
    if (this.offerOutstanding) {
      this.renegotiate = true;
      return;
    }
    this.offerOutstanding = true;
    void this.subscriberOps
      .run(async () => {
        const offer = await this.subscriber.createOffer();
        this.participant.sink.deliver({ type: 'sfu_offer', sdp: offer.sdp, tracks: this.subscribedTracks() });
        this.openGate('subscriber');
      })
      .catch((err: unknown) => {
        this.offerOutstanding = false;
        if (!this.closed) this.log.error({ err }, 'could not create the subscriber offer');
      });
  }

  acceptSubscriberAnswer(sdp: string): Promise<void> {
    checkDescription(sdp, 'subscriber answer');
    return this.subscriberOps.run(async () => {
      if (!this.offerOutstanding) throw new ParleyError('SDP_INVALID', 'no subscriber offer is waiting for an answer');
      try {
        await this.subscriber.setRemoteDescription({ type: 'answer', sdp });
      } catch (err) {
        throw new ParleyError('SDP_INVALID', `the subscriber answer could not be applied: ${errorText(err)}`);
      }
      this.offerOutstanding = false;
      await this.flushEarly('subscriber', this.subscriber);
      this.host.onSubscriberNegotiated(this);
      if (this.renegotiate) {
        this.renegotiate = false;
        this.negotiate();
      }
    });
  }

  addCandidate(target: SfuTarget, candidate: IceCandidateInit | null): Promise<void> {
    if (candidate === null || candidate.candidate === '') return Promise.resolve();
    const c: IceCandidate = {
      candidate: candidate.candidate,
      ...(candidate.sdpMid !== undefined && candidate.sdpMid !== null ? { sdpMid: candidate.sdpMid } : {}),
      ...(candidate.sdpMLineIndex !== undefined && candidate.sdpMLineIndex !== null ? { sdpMLineIndex: candidate.sdpMLineIndex } : {}),
    };
    if (target === 'publisher') {
      return this.publisherOps.run(async () => {
        if (this.publisher === undefined) this.keepEarly('publisher', c);
        else await this.publisher.addIceCandidate(c).catch(() => undefined);
      });
    }
    return this.subscriberOps.run(async () => {
      // candidates of an answer we do not have yet
      if (this.offerOutstanding) this.keepEarly('subscriber', c);
      else await this.subscriber.addIceCandidate(c).catch(() => undefined);
    });
  }

  private keepEarly(target: SfuTarget, c: IceCandidate): void {
    const list = this.early[target];
    if (list.length >= MAX_EARLY_CANDIDATES) throw new ParleyError('VALIDATION', `more than ${MAX_EARLY_CANDIDATES} candidates before the ${target} description`);
    list.push(c);
  }

  private async flushEarly(target: SfuTarget, transport: MediaTransport): Promise<void> {
    for (const c of this.early[target].splice(0)) await transport.addIceCandidate(c).catch(() => undefined);
  }

  private subscribedTracks(): SubscribedTrack[] {
    const list: SubscribedTrack[] = [];
    for (const sub of this.subscriptions.values()) {
      const mid = sub.mid;
      if (mid === undefined) continue;
      list.push({ mid, trackSid: sub.track.sid, participantSid: sub.track.participantSid, kind: sub.track.kind });
    }
    return list;
  }

  private wire(transport: MediaTransport, target: SfuTarget): void {
    transport.on('candidate', (c) => {
      const send = (): void =>
        this.participant.sink.deliver({
          type: 'sfu_candidate',
          target,
          candidate: { candidate: c.candidate, ...(c.sdpMid !== undefined ? { sdpMid: c.sdpMid } : {}), ...(c.sdpMLineIndex !== undefined ? { sdpMLineIndex: c.sdpMLineIndex } : {}) },
        });
      const gate = this.gates[target];
      if (gate === undefined) send();
      else gate.push(send);
    });
    transport.on('state', (state) => this.host.onTransportState(this, target, state));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const sub of this.subscriptions.values()) {
      this.host.onSubscriptionEnded(sub);
      sub.close();
    }
    this.subscriptions.clear();
    await Promise.allSettled([this.publisher?.close(), this.subscriber.close()]);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
