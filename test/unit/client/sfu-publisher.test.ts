/**
 * The SFU publisher connection's negotiation logic against a scripted RTCPeerConnection: one
 * negotiation at a time with later changes folded into one more round, the mid of every track in
 * the offer, candidates held until the answer, rollback and a retry of an ICE restart on failure.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SfuPublisher } from '../../../src/client/sfu/publisher.js';
import { LocalTrackPublication } from '../../../src/client/track.js';
import type { IceCandidateInit } from '../../../src/signaling/protocol.js';

class FakeTransceiver {
  mid: string | null = null;
  constructor(readonly sender: { track: unknown }, readonly init: RTCRtpTransceiverInit) {}
}

class FakePeerConnection {
  static last: FakePeerConnection | undefined;
  connectionState: RTCPeerConnectionState = 'new';
  signalingState: RTCSignalingState = 'stable';
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  readonly transceivers: FakeTransceiver[] = [];
  readonly offers: (RTCOfferOptions | undefined)[] = [];
  readonly added: RTCIceCandidateInit[] = [];
  onicecandidate: ((ev: { candidate: unknown }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;

  constructor() {
    FakePeerConnection.last = this;
  }
  createDataChannel(label: string): { label: string; binaryType: string } {
    return { label, binaryType: 'blob' };
  }
  addTransceiver(track: unknown, init: RTCRtpTransceiverInit): FakeTransceiver {
    const t = new FakeTransceiver({ track }, init);
    this.transceivers.push(t);
    return t;
  }
  removeTrack(sender: { track: unknown }): void {
    sender.track = null;
  }
  createOffer(opts?: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    this.offers.push(opts);
    return Promise.resolve({ type: 'offer', sdp: `offer-${this.offers.length}` });
  }
  setLocalDescription(d: RTCSessionDescriptionInit): Promise<void> {
    if (d.type === 'rollback') this.signalingState = 'stable';
    else {
      this.localDescription = d;
      this.signalingState = 'have-local-offer';
      this.transceivers.forEach((t, i) => (t.mid ??= String(i + 1)));
    }
    return Promise.resolve();
  }
  setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
    this.remoteDescription = d;
    this.signalingState = 'stable';
    return Promise.resolve();
  }
  addIceCandidate(c: RTCIceCandidateInit): Promise<void> {
    this.added.push(c);
    return Promise.resolve();
  }
  getConfiguration(): RTCConfiguration {
    return {};
  }
  setConfiguration(): void {}
  close(): void {}
}

interface OfferCall {
  sdp: string;
  tracks: { mid: string; trackSid: string }[];
  resolve: (sdp: string) => void;
  reject: (err: unknown) => void;
}

function host(): { offers: OfferCall[]; candidates: (IceCandidateInit | null)[]; offer: (sdp: string, tracks: OfferCall['tracks']) => Promise<string>; sendCandidate: (c: IceCandidateInit | null) => void } {
  const offers: OfferCall[] = [];
  const candidates: (IceCandidateInit | null)[] = [];
  return {
    offers,
    candidates,
    offer: (sdp, tracks) => new Promise((resolve, reject) => offers.push({ sdp, tracks, resolve, reject })),
    sendCandidate: (c) => candidates.push(c),
  };
}

function publication(sid: string): LocalTrackPublication {
  const track = { kind: 'video', id: `track-${sid}` } as unknown as MediaStreamTrack;
  return new LocalTrackPublication({ sid, cid: `cid-${sid}`, kind: 'video', source: 'camera', name: 'camera', muted: false }, track, {} as MediaStream);
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
const saved = globalThis.RTCPeerConnection;

beforeEach(() => {
  globalThis.RTCPeerConnection = FakePeerConnection as unknown as typeof RTCPeerConnection;
});
afterEach(() => {
  globalThis.RTCPeerConnection = saved;
});

describe('SfuPublisher', () => {
  it('negotiates once at a time and folds changes made meanwhile into one more round', async () => {
    const h = host();
    const publisher = new SfuPublisher([], h);
    const pc = FakePeerConnection.last;
    publisher.negotiate();
    await settle();
    expect(h.offers).toHaveLength(1);
    expect(h.offers[0]?.tracks).toEqual([]);

    publisher.addTrack(publication('TR_cam'), [{ rid: 'q', scaleResolutionDownBy: 4 }]);
    publisher.addTrack(publication('TR_mic'));
    await settle();
    expect(h.offers).toHaveLength(1);

    h.offers[0]?.resolve('answer-1');
    await settle();
    expect(pc?.remoteDescription).toEqual({ type: 'answer', sdp: 'answer-1' });
    expect(h.offers).toHaveLength(2);
    expect(h.offers[1]?.tracks).toEqual([{ mid: '1', trackSid: 'TR_cam' }, { mid: '2', trackSid: 'TR_mic' }]);
    expect(pc?.transceivers[0]?.init).toMatchObject({ direction: 'sendonly', sendEncodings: [{ rid: 'q', scaleResolutionDownBy: 4 }] });

    h.offers[1]?.resolve('answer-2');
    publisher.removeTrack('TR_mic');
    await settle();
    await settle();
    expect(h.offers).toHaveLength(3);
    expect(h.offers[2]?.tracks).toEqual([{ mid: '1', trackSid: 'TR_cam' }]);
    publisher.close();
  });

  it('holds its candidates while an offer is in flight and sends them after the answer', async () => {
    const h = host();
    const publisher = new SfuPublisher([], h);
    const pc = FakePeerConnection.last;
    publisher.negotiate();
    await settle();
    pc?.onicecandidate?.({ candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'u' } });
    pc?.onicecandidate?.({ candidate: null });
    expect(h.candidates).toEqual([]);

    // The server's candidates that come before its answer wait for it too.
    publisher.addRemoteCandidate({ candidate: 'candidate:2 1 udp 1 127.0.0.1 6000 typ host', sdpMid: '0' });
    expect(pc?.added).toEqual([]);

    h.offers[0]?.resolve('answer');
    await settle();
    expect(h.candidates).toEqual([{ candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'u' }, null]);
    expect(pc?.added.map((c) => c.candidate)).toEqual(['candidate:2 1 udp 1 127.0.0.1 6000 typ host']);
    publisher.close();
  });

  it('restarts ICE with a new offer, rolls back a refused one and keeps the restart for the next round', async () => {
    const h = host();
    const publisher = new SfuPublisher([], h);
    const pc = FakePeerConnection.last;
    const failures: unknown[] = [];
    publisher.on('negotiationFailed', (err) => failures.push(err));
    publisher.restartIce();
    await settle();
    expect(pc?.offers).toEqual([{ iceRestart: true }]);

    h.offers[0]?.reject(new Error('MEDIA_OVERLOADED'));
    await settle();
    expect(pc?.signalingState).toBe('stable');
    expect(failures).toHaveLength(1);

    publisher.negotiate();
    await settle();
    expect(pc?.offers[1]).toEqual({ iceRestart: true });
    h.offers[1]?.resolve('answer');
    await settle();
    publisher.negotiate();
    await settle();
    expect(pc?.offers[2]).toEqual({});
    publisher.close();
  });

  it('restarts ICE by itself when the connection fails', async () => {
    const h = host();
    const publisher = new SfuPublisher([], h);
    const pc = FakePeerConnection.last;
    if (!pc) throw new Error('no peer connection');
    pc.connectionState = 'failed';
    pc.onconnectionstatechange?.();
    await settle();
    expect(pc.offers).toEqual([{ iceRestart: true }]);
    publisher.close();
  });
});
