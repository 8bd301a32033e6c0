/**
 * The SFU subscriber connection against a scripted RTCPeerConnection: each server offer is
 * answered in order, its `tracks` decide which receiver plays which remote track and which
 * subscriptions ended, candidates wait for the first offer, and data-channel frames become
 * messages stamped with the sender.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SfuSubscriber } from '../../../src/client/sfu/subscriber.js';
import { encodeDataFrame } from '../../../src/signaling/data-frame.js';
import type { SubscribedTrack } from '../../../src/signaling/protocol.js';

interface FakeTransceiver {
  mid: string;
  currentDirection: string;
  receiver: { track: { id: string } };
}

class FakePeerConnection {
  static last: FakePeerConnection | undefined;
  connectionState: RTCPeerConnectionState = 'new';
  remoteDescription: RTCSessionDescriptionInit | null = null;
  readonly transceivers: FakeTransceiver[] = [];
  readonly added: RTCIceCandidateInit[] = [];
  answers = 0;
  ondatachannel: ((ev: { channel: unknown }) => void) | null = null;
  onicecandidate: ((ev: { candidate: unknown }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;

  constructor() {
    FakePeerConnection.last = this;
  }
  /** The test's offers are `mids:1,2`: one receiving m-line per mid. */
  setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
    this.remoteDescription = d;
    for (const mid of (d.sdp ?? '').replace('mids:', '').split(',').filter(Boolean)) {
      if (!this.transceivers.some((t) => t.mid === mid)) this.transceivers.push({ mid, currentDirection: 'recvonly', receiver: { track: { id: `recv-${mid}` } } });
    }
    return Promise.resolve();
  }
  createAnswer(): Promise<RTCSessionDescriptionInit> {
    return Promise.resolve({ type: 'answer', sdp: `answer-${++this.answers}` });
  }
  setLocalDescription(): Promise<void> {
    return Promise.resolve();
  }
  addIceCandidate(c: RTCIceCandidateInit): Promise<void> {
    this.added.push(c);
    return Promise.resolve();
  }
  getTransceivers(): FakeTransceiver[] {
    return this.transceivers;
  }
  getConfiguration(): RTCConfiguration {
    return {};
  }
  setConfiguration(): void {}
  close(): void {}
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
const saved = globalThis.RTCPeerConnection;
const sub = (mid: string, trackSid: string, kind: 'audio' | 'video' = 'video', participantSid = 'PA_a'): SubscribedTrack => ({ mid, trackSid, participantSid, kind });

beforeEach(() => {
  globalThis.RTCPeerConnection = FakePeerConnection as unknown as typeof RTCPeerConnection;
});
afterEach(() => {
  globalThis.RTCPeerConnection = saved;
});

describe('SfuSubscriber', () => {
  it('answers every offer in order and maps receivers to remote tracks by mid', async () => {
    const answers: string[] = [];
    const subscriber = new SfuSubscriber([], { sendAnswer: (sdp) => answers.push(sdp), sendCandidate: () => undefined });
    const started: string[] = [];
    const ended: string[] = [];
    subscriber.on('track', (s, track) => started.push(`${s.trackSid}@${s.mid}=${track.id}`));
    subscriber.on('ended', (s) => ended.push(s.trackSid));

    subscriber.handleOffer('mids:0', []);
    subscriber.handleOffer('mids:0,1,2', [sub('1', 'TR_mic', 'audio'), sub('2', 'TR_cam')]);
    await settle();
    expect(answers).toEqual(['answer-1', 'answer-2']);
    expect(started).toEqual(['TR_mic@1=recv-1', 'TR_cam@2=recv-2']);
    expect(subscriber.receiverOf('TR_cam')?.track.id).toBe('recv-2');

    // Both subscriptions end; another participant's screen comes on the m-line of mid 1.
    subscriber.handleOffer('mids:0,1,2', [sub('1', 'TR_screen', 'video', 'PA_b')]);
    await settle();
    expect(ended).toEqual(['TR_mic', 'TR_cam']);
    expect(started.at(-1)).toBe('TR_screen@1=recv-1');
    expect(subscriber.receiverOf('TR_cam')).toBeUndefined();
    subscriber.close();
  });

  it('keeps the server candidates until the first offer is applied', async () => {
    const subscriber = new SfuSubscriber([], { sendAnswer: () => undefined, sendCandidate: () => undefined });
    const pc = FakePeerConnection.last;
    subscriber.addRemoteCandidate({ candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0' });
    subscriber.addRemoteCandidate(null);
    await settle();
    expect(pc?.added).toEqual([]);
    subscriber.handleOffer('mids:0', []);
    await settle();
    expect(pc?.added.map((c) => c.candidate)).toEqual(['candidate:1 1 udp 1 127.0.0.1 5000 typ host']);
    subscriber.close();
  });

  it('reads the server data channels: frames become messages, malformed ones are counted', () => {
    const subscriber = new SfuSubscriber([], { sendAnswer: () => undefined, sendCandidate: () => undefined });
    const pc = FakePeerConnection.last;
    const got: unknown[] = [];
    subscriber.on('data', (message, via) => got.push({ ...message, via }));
    const reliable: { label: string; binaryType?: string; onmessage?: (ev: { data: unknown }) => void } = { label: '_reliable' };
    const lossy: typeof reliable = { label: '_lossy' };
    pc?.ondatachannel?.({ channel: reliable });
    pc?.ondatachannel?.({ channel: lossy });
    expect(reliable.binaryType).toBe('arraybuffer');

    const frame = encodeDataFrame({ from: 'PA_a', identity: 'ann', topic: 'chat' }, JSON.stringify({ text: 'hi' }));
    reliable.onmessage?.({ data: frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) });
    lossy.onmessage?.({ data: encodeDataFrame({ from: 'PA_b', identity: 'bob' }, new Uint8Array([7])) });
    reliable.onmessage?.({ data: 'not a frame' });
    reliable.onmessage?.({ data: new Uint8Array([0x50, 0x01, 0xff, 0xff]) });

    expect(got).toEqual([
      { payload: { text: 'hi' }, from: { sid: 'PA_a', identity: 'ann' }, topic: 'chat', via: 'reliable' },
      { payload: new Uint8Array([7]), from: { sid: 'PA_b', identity: 'bob' }, via: 'lossy' },
    ]);
    expect(subscriber.droppedFrames).toBe(2);
    subscriber.close();
  });

  it('asks for a new session when the connection stays failed', async () => {
    const subscriber = new SfuSubscriber([], { sendAnswer: () => undefined, sendCandidate: () => undefined }, 20);
    const pc = FakePeerConnection.last;
    let unrecoverable = 0;
    subscriber.on('unrecoverable', () => unrecoverable++);
    if (!pc) throw new Error('no peer connection');
    pc.connectionState = 'failed';
    pc.onconnectionstatechange?.();
    pc.connectionState = 'connected';
    pc.onconnectionstatechange?.();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(unrecoverable).toBe(0);
    pc.connectionState = 'failed';
    pc.onconnectionstatechange?.();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(unrecoverable).toBe(1);
    subscriber.close();
  });
});
