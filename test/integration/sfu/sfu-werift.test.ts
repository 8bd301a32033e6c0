/**
 * SFU rooms over the real signaling protocol, with werift peers as clients (no browser): a
 * publisher sends synthetic VP8 and data; two subscribers receive it with the server's SSRC,
 * continuous sequence numbers, from a keyframe; data is stamped with the sender and never comes
 * back to it; mute pauses; leaving ends the subscription. The browser tests (test/e2e/sfu*) cover
 * real codecs and simulcast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vp8Packet } from '../../unit/media/helpers.js';
import { RTCPeerConnection, type RTCDataChannel, type RtpPacket } from 'werift';
import { parleyCodecs, parleyHeaderExtensions } from '../../../src/media/engine/index.js';
import { DATA_CHANNEL_LABELS, decodeRelayedFrame, encodeDataFrame, payloadText } from '../../../src/signaling/data-frame.js';
import { SfuService } from '../../../src/sfu/sfu-service.js';
import type { WorkerMediaPlane } from '../../../src/sfu/worker-plane.js';
import { startTestServer, TestClient, type Frame, type TestServer } from '../../helpers/server.js';
import { waitFor } from '../media/werift-helpers.js';

const grants = { room: 'sfu', roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true };

/** Synthetic VP8 (descriptor + frame header + filler) as the publisher sends it. */
const vp8 = (seq: number, ts: number, keyframe: boolean): Buffer => vp8Packet({ ssrc: 0xabcdef, seq, ts, keyframe, size: 300 });

/** A native-protocol client with werift publisher and subscriber connections. */
class SfuClient {
  readonly publisher = new RTCPeerConnection({ codecs: parleyCodecs(), headerExtensions: parleyHeaderExtensions() });
  readonly subscriber = new RTCPeerConnection({ codecs: parleyCodecs(), headerExtensions: parleyHeaderExtensions() });
  readonly received: RtpPacket[] = [];
  readonly data: Array<{ from: string; identity: string; text: string | undefined }> = [];
  readonly offers: Frame[] = [];
  /** Ports of the server's ICE candidates. */
  readonly serverPorts: number[] = [];
  reliable: RTCDataChannel | undefined;
  sid = '';

  private constructor(readonly signal: TestClient) {}

  static async join(server: TestServer, identity: string, autoSubscribe = true): Promise<SfuClient> {
    const signal = await TestClient.connect(server.wsUrl);
    const client = new SfuClient(signal);
    client.sid = (await signal.ok<{ participant: { sid: string } }>({ type: 'join', token: await server.token(identity, grants), autoSubscribe })).participant.sid;
    client.subscriber.onRemoteTransceiverAdded.subscribe((t) => {
      t.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => client.received.push(rtp.clone())));
    });
    client.subscriber.onDataChannel.subscribe((channel) => {
      channel.onMessage.subscribe((m) => {
        const frame = decodeRelayedFrame(typeof m === 'string' ? Buffer.from(m) : m);
        if (!('error' in frame)) client.data.push({ from: frame.header.from, identity: frame.header.identity, text: payloadText(frame) });
      });
    });
    client.subscriber.onIceCandidate.subscribe((c) => {
      if (c?.candidate) signal.request({ type: 'sfu_candidate', target: 'subscriber', candidate: { candidate: c.candidate, sdpMid: c.sdpMid ?? null } }).catch(() => undefined);
    });
    client.publisher.onIceCandidate.subscribe((c) => {
      if (c?.candidate) signal.request({ type: 'sfu_candidate', target: 'publisher', candidate: { candidate: c.candidate, sdpMid: c.sdpMid ?? null } }).catch(() => undefined);
    });
    // ends when the client closes (a pending request then times out)
    client.answerLoop().catch(() => undefined);
    return client;
  }

  /** Answers every subscriber offer and applies the server's candidates. */
  private async answerLoop(): Promise<void> {
    for (;;) {
      const f = await this.signal.next((x) => x.type === 'sfu_offer' || x.type === 'sfu_candidate', 60_000).catch(() => undefined);
      if (f === undefined) return;
      if (f.type === 'sfu_candidate') {
        const pc = f['target'] === 'publisher' ? this.publisher : this.subscriber;
        const c = f['candidate'] as { candidate: string; sdpMid?: string } | null;
        if (c !== null) this.serverPorts.push(Number(c.candidate.split(' ')[5]));
        if (c !== null) await pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? '0' }).catch(() => undefined);
        continue;
      }
      this.offers.push(f);
      await this.subscriber.setRemoteDescription({ type: 'offer', sdp: String(f['sdp']) });
      const answer = await this.subscriber.createAnswer();
      await this.subscriber.setLocalDescription(answer);
      await this.signal.ok({ type: 'sfu_answer', sdp: this.subscriber.localDescription?.sdp ?? answer.sdp });
    }
  }

  async publishVideo(): Promise<{ trackSid: string; send: (p: Buffer) => void }> {
    const { track } = await this.signal.ok<{ track: { sid: string } }>({ type: 'publish_track', cid: 'cam', kind: 'video', source: 'camera' });
    const transceiver = this.publisher.addTransceiver('video', { direction: 'sendonly' });
    this.reliable = this.publisher.createDataChannel(DATA_CHANNEL_LABELS.reliable);
    await this.publisher.setLocalDescription(await this.publisher.createOffer());
    const { sdp } = await this.signal.ok<{ sdp: string }>({
      type: 'sfu_offer',
      sdp: this.publisher.localDescription?.sdp ?? '',
      tracks: [{ mid: transceiver.mid ?? '0', trackSid: track.sid }],
    });
    await this.publisher.setRemoteDescription({ type: 'answer', sdp });
    return { trackSid: track.sid, send: (p) => void transceiver.sender.sendRtp(p) };
  }

  async close(): Promise<void> {
    this.signal.close();
    await Promise.allSettled([this.publisher.close(), this.subscriber.close()]);
  }
}

describe.each([
  { workers: 2, where: 'in media worker threads' },
  { workers: 0, where: 'on the main thread' },
])('SFU room with werift clients, media $where', ({ workers }) => {
  let server: TestServer;
  const clients: SfuClient[] = [];
  beforeAll(async () => {
    server = await startTestServer({ 'rtc.workers': workers, 'rtc.portMin': 41000, 'rtc.portMax': 41999 });
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server.stop();
  });

  it('forwards one publisher to two subscribers, relays data, pauses on mute, ends on leave', async () => {
    const pub = await SfuClient.join(server, 'pub');
    const subA = await SfuClient.join(server, 'sub-a');
    const subB = await SfuClient.join(server, 'sub-b');
    clients.push(pub, subA, subB);
    expect(server.rooms.get('sfu')?.info().type).toBe('sfu');

    const { trackSid, send } = await pub.publishVideo();
    let seq = 65_400; // wraps during the test
    let ts = 1000;
    let wantKeyframe = true;
    const sender = setInterval(() => {
      send(vp8(seq, ts, wantKeyframe));
      wantKeyframe = seq % 50 === 0;
      seq = (seq + 1) & 0xffff;
      ts = (ts + 3000) >>> 0;
    }, 10);
    try {
      await waitFor(() => subA.received.length > 100 && subB.received.length > 100, 20_000, 'video at both subscribers').catch(async (err: unknown) => {
        const state = (c: SfuClient): string => `${c.sid}: ${c.received.length} packets, ${c.offers.length} offers, pub ${c.publisher.connectionState}, sub ${c.subscriber.connectionState}`;
        throw new Error(`${String(err)}; ${[pub, subA, subB].map(state).join('; ')}; ${JSON.stringify(await server.sfu.stats())}`);
      });
      const ports = [pub, subA, subB].flatMap((c) => c.serverPorts);
      expect(ports.length).toBeGreaterThan(0);
      for (const port of ports) expect(port >= 41000 && port <= 41999, `candidate port ${port}`).toBe(true);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const out = Number(/^parley_sfu_rtp_packets_out_total (\d+)/m.exec(metrics)?.[1]);
      expect(out).toBeGreaterThan(200);
      // the publisher's packets after the first skipped werift's receive chain (ADR 0010)
      const packetsIn = Number(/^parley_sfu_rtp_packets_in_total (\d+)/m.exec(metrics)?.[1]);
      const fast = Number(/^parley_sfu_rtp_packets_in_fast_total (\d+)/m.exec(metrics)?.[1]);
      expect(packetsIn).toBeGreaterThan(100);
      expect(fast).toBeGreaterThan(packetsIn * 0.9);
      expect(fast).toBeLessThan(packetsIn);
      expect(metrics).toMatch(new RegExp(`^parley_sfu_workers ${workers}$`, 'm'));
      expect(metrics).toMatch(/^parley_native_addon 1$/m);
      // the steady state went through the media pump (ADR 0011), every replayed decision agreeing
      expect(Number(/^parley_sfu_pump_packets_sent_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(50);
      expect(metrics).toMatch(/^parley_sfu_pump_mismatches_total 0$/m);
      expect(metrics).toMatch(/^parley_sfu_pump_dropped_total 0$/m);
      expect(metrics).toMatch(/^parley_sfu_subscriptions 2$/m);
      for (const sub of [subA, subB]) {
        const offer = sub.offers.at(-1);
        expect(offer?.['tracks']).toEqual([expect.objectContaining({ trackSid, participantSid: pub.sid, kind: 'video' })]);
        const ssrcs = new Set(sub.received.map((p) => p.header.ssrc));
        expect(ssrcs.size).toBe(1);
        expect(ssrcs.has(0xabcdef)).toBe(false);
        const first = sub.received[0];
        expect(first?.payload[1]).toBe(0x00); // starts on a keyframe
        const tail = sub.received.slice(-50);
        for (let i = 1; i < tail.length; i++) expect(tail[i]?.header.sequenceNumber).toBe(((tail[i - 1]?.header.sequenceNumber ?? 0) + 1) & 0xffff);
      }

      // data over the publisher's _reliable channel reaches the others, stamped, not the sender
      await waitFor(() => pub.reliable?.readyState === 'open', 10_000, 'data channel open');
      pub.reliable?.send(Buffer.from(encodeDataFrame({ topic: 'chat' }, 'hello')));
      pub.reliable?.send(Buffer.from('not a frame'));
      await waitFor(() => subA.data.length > 0 && subB.data.length > 0, 10_000, 'data at the subscribers');
      expect(subA.data).toEqual([{ from: pub.sid, identity: 'pub', text: 'hello' }]);
      expect(subB.data).toEqual([{ from: pub.sid, identity: 'pub', text: 'hello' }]);
      expect(pub.data).toEqual([]);
      expect((await server.sfu.stats()).counters.dataDropped).toBeGreaterThanOrEqual(1);

      // mute pauses forwarding
      await pub.signal.ok({ type: 'mute_track', trackSid, muted: true });
      await new Promise((r) => setTimeout(r, 300));
      const atMute = subA.received.length;
      await new Promise((r) => setTimeout(r, 500));
      expect(subA.received.length).toBe(atMute);
      await pub.signal.ok({ type: 'mute_track', trackSid, muted: false });
      await waitFor(() => subA.received.length > atMute + 20, 10_000, 'video again after unmute');

      // explicit unsubscribe, errors for unknown tracks and for P2P-only requests
      const err = await subA.signal.request({ type: 'subscribe', trackSid: 'TR_nope', subscribe: true });
      expect(err).toMatchObject({ type: 'error', code: 'TRACK_NOT_FOUND' });
      const sig = await subA.signal.request({ type: 'signal', to: pub.sid, payload: { kind: 'candidate', candidate: null } });
      expect(sig).toMatchObject({ type: 'error', code: 'NOT_P2P_ROOM' });
      const bad = await subA.signal.request({ type: 'sfu_answer', sdp: 'v=0' });
      expect(bad).toMatchObject({ type: 'error', code: 'SDP_INVALID' });

      // the publisher leaves: subscribers get a new offer without the track
      const offersBefore = subB.offers.length;
      await pub.signal.ok({ type: 'leave' });
      await waitFor(() => subB.offers.length > offersBefore, 10_000, 're-offer after the publisher left');
      expect(subB.offers.at(-1)?.['tracks']).toEqual([]);
      expect((await server.sfu.stats()).publishedTracks).toBe(0);
    } finally {
      clearInterval(sender);
    }
  }, 60_000);
});

describe('SFU subscriptions', () => {
  it('subscribes explicitly, reuses stopped m-lines, and follows canSubscribe changes from the REST API', async () => {
    const server = await startTestServer({ 'rtc.workers': 0 });
    const pub = await SfuClient.join(server, 'pub');
    const sub = await SfuClient.join(server, 'picky', false);
    try {
      const { trackSid, send } = await pub.publishVideo();
      let seq = 0;
      const sender = setInterval(() => send(vp8(seq, seq * 3000, seq++ % 30 === 0)), 10);
      try {
        await waitFor(() => sub.offers.length >= 1, 10_000, 'first offer');
        await new Promise((r) => setTimeout(r, 500));
        expect(sub.received).toEqual([]); // autoSubscribe: false
        const mLines = (sdp: unknown): number => String(sdp).split('\nm=').length - 1;

        for (let round = 0; round < 3; round++) {
          await sub.signal.ok({ type: 'subscribe', trackSid, subscribe: true });
          const before = sub.received.length;
          await waitFor(() => sub.received.length > before + 20, 10_000, `video after subscribe #${round + 1}`);
          await sub.signal.ok({ type: 'track_settings', trackSid, quality: 'low', width: 320, height: 180 });
          await sub.signal.ok({ type: 'subscribe', trackSid, subscribe: false });
          await waitFor(() => (sub.offers.at(-1)?.['tracks'] as unknown[]).length === 0, 10_000, 'offer without the track');
        }
        // data channels plus one video m-line, stopped and reused: the SDP does not grow
        expect(mLines(sub.offers.at(-1)?.['sdp'])).toBe(2);
        const unknown = await sub.signal.request({ type: 'track_settings', trackSid, quality: 'high' });
        expect(unknown).toMatchObject({ type: 'error', code: 'TRACK_NOT_FOUND' });

        // revoking canSubscribe (as PATCH /api/rooms/:room/participants/:identity does) ends it
        await sub.signal.ok({ type: 'subscribe', trackSid, subscribe: true });
        await waitFor(() => (sub.offers.at(-1)?.['tracks'] as unknown[]).length === 1, 10_000, 'subscribed again');
        const room = server.rooms.get('sfu');
        const participant = room?.findByIdentity('picky');
        if (participant === undefined) throw new Error('no participant');
        server.rooms.updateParticipant(participant, { permissions: { canSubscribe: false } });
        await waitFor(() => (sub.offers.at(-1)?.['tracks'] as unknown[]).length === 0, 10_000, 'unsubscribed by the permission change');
        const refused = await sub.signal.request({ type: 'subscribe', trackSid, subscribe: true });
        expect(refused).toMatchObject({ type: 'error', code: 'PERMISSION_DENIED' });
      } finally {
        clearInterval(sender);
      }
    } finally {
      await pub.close();
      await sub.close();
      await server.stop();
    }
  }, 60_000);
});

describe('SFU admission control', () => {
  it('refuses new subscriptions while the media thread is saturated, and accepts them again after', async () => {
    const server = await startTestServer({ 'rtc.workers': 0, 'rtc.maxLoad': 0.85 });
    const media = server.sfu;
    if (!(media instanceof SfuService)) throw new Error('expected media on the main thread');
    const pub = await SfuClient.join(server, 'pub');
    const auto = await SfuClient.join(server, 'auto');
    const manual = await SfuClient.join(server, 'manual', false);
    try {
      media.loadOverride = 0.95;
      const { trackSid, send } = await pub.publishVideo();
      let seq = 0;
      const sender = setInterval(() => send(vp8(seq, seq * 3000, seq++ % 30 === 0)), 10);
      try {
        const failed = await auto.signal.notification('subscription_failed', 10_000);
        expect(failed).toMatchObject({ trackSid, code: 'MEDIA_OVERLOADED' });
        expect(await manual.signal.request({ type: 'subscribe', trackSid, subscribe: true })).toMatchObject({ type: 'error', code: 'MEDIA_OVERLOADED' });
        expect((await media.stats()).counters.subscriptionsRefused).toBe(2);
        media.loadOverride = 0.2;
        await manual.signal.ok({ type: 'subscribe', trackSid, subscribe: true });
        await waitFor(() => manual.received.length > 20, 10_000, 'video once the load dropped');
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        expect(metrics).toMatch(/^parley_sfu_subscriptions_refused_total 2$/m);
      } finally {
        clearInterval(sender);
      }
    } finally {
      for (const c of [pub, auto, manual]) await c.close();
      await server.stop();
    }
  }, 60_000);
});

describe('SFU hostile input', () => {
  it('answers broken SDP and candidates with errors and keeps serving', async () => {
    const server = await startTestServer({ 'rtc.workers': 0 });
    const signal = await TestClient.connect(server.wsUrl);
    try {
      await signal.join(await server.token('mallory', grants));
      const { track } = await signal.ok<{ track: { sid: string } }>({ type: 'publish_track', cid: 'x', kind: 'video', source: 'camera' });
      const junk = [
        'v=0',
        'not sdp at all',
        'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n',
        `v=0\r\n${'a=candidate:1 1 udp 1 1.2.3.4 5 typ host\r\n'.repeat(500)}`,
      ];
      for (const sdp of junk) {
        const r = await signal.request({ type: 'sfu_offer', sdp, tracks: [{ mid: '0', trackSid: track.sid }] });
        expect(r, sdp.slice(0, 40)).toMatchObject({ type: 'error', code: 'SDP_INVALID' });
      }
      expect(await signal.request({ type: 'sfu_offer', sdp: 'v=0', tracks: [{ mid: '0', trackSid: 'TR_not_mine' }] })).toMatchObject({ type: 'error', code: 'TRACK_NOT_FOUND' });
      // well-formed but nothing Parley can take (PCMU): an answer that rejects the m-line (port 0)
      const pcmu = 'v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=fingerprint:sha-256 zz\r\na=ice-ufrag:a\r\na=ice-pwd:b\r\na=setup:actpass\r\na=mid:0\r\n';
      const rejected = await signal.ok<{ sdp: string }>({ type: 'sfu_offer', sdp: pcmu, tracks: [] });
      expect(rejected.sdp).toMatch(/^m=audio 0 /m);
      const named = await signal.request({ type: 'sfu_offer', sdp: junk[2], tracks: [{ mid: '7', trackSid: track.sid }] });
      expect(String(named['message'])).toMatch(/mid 7/);
      for (const candidate of ['', 'candidate:garbage', 'candidate:1 1 udp 1 999.1.1.1 70000 typ host', 'x'.repeat(1000)]) {
        const r = await signal.request({ type: 'sfu_candidate', target: 'subscriber', candidate: { candidate, sdpMid: '0' } });
        expect(r.type).toBe('response');
      }
      // still serving: another participant joins and gets its subscriber offer
      const other = await SfuClient.join(server, 'honest');
      await waitFor(() => other.offers.length >= 1, 10_000, 'an offer for the next participant');
      expect((await signal.request({ type: 'ping' })).type).toBe('pong');
      await other.close();
    } finally {
      signal.close();
      await server.stop();
    }
  }, 60_000);
});

describe('media worker threads', () => {
  it('places each new room on the least-loaded worker', async () => {
    const server = await startTestServer({ 'rtc.workers': 2 });
    const clients: TestClient[] = [];
    try {
      for (const room of ['r1', 'r2', 'r3']) {
        const c = await TestClient.connect(server.wsUrl);
        await c.join(await server.token(`p-${room}`, { ...grants, room }));
        clients.push(c);
      }
      let stats = await server.sfu.stats();
      for (let i = 0; i < 50 && stats.peers < 3; i++) stats = await new Promise((r) => setTimeout(r, 50)).then(() => server.sfu.stats());
      // r1 and r2 on different workers (both lightly loaded: fewest peers wins), r3 on either
      expect(stats.workers).toHaveLength(2);
      expect(stats.workers.map((w) => w.rooms).sort()).toEqual([1, 2]);
    } finally {
      for (const c of clients) c.close();
      await server.stop();
    }
  });

  it('restarts a media worker that dies and resets its participants, who then join again and get media', async () => {
    const server = await startTestServer({ 'rtc.workers': 1, 'rtc.portMin': 42000, 'rtc.portMax': 42999 });
    const clients: SfuClient[] = [];
    const stream = (send: (p: Buffer) => void): NodeJS.Timeout => {
      let seq = 1;
      return setInterval(() => {
        send(vp8(seq, seq * 3000, seq % 50 === 1));
        seq++;
      }, 10);
    };
    try {
      const pub = await SfuClient.join(server, 'pub');
      const sub = await SfuClient.join(server, 'sub');
      clients.push(pub, sub);
      const before = stream((await pub.publishVideo()).send);
      await waitFor(() => sub.received.length > 50, 20_000, 'video before the crash').finally(() => clearInterval(before));

      const plane = server.sfu as WorkerMediaPlane;
      const [worker] = plane.workers;
      const resets = [pub, sub].map((c) => c.signal.notification('media_reset', 15_000));
      await worker?.terminate();
      for (const reset of await Promise.all(resets)) expect(reset).toMatchObject({ type: 'media_reset', reason: 'media_worker_failed' });
      expect(plane.workers).toHaveLength(1);
      expect(plane.workers[0]).not.toBe(worker);

      // as the SDK does on media_reset: join again (same identities replace the old sessions)
      const pub2 = await SfuClient.join(server, 'pub');
      const sub2 = await SfuClient.join(server, 'sub');
      clients.push(pub2, sub2);
      const after = stream((await pub2.publishVideo()).send);
      await waitFor(() => sub2.received.length > 50, 20_000, 'video through the restarted worker').finally(() => clearInterval(after));
      expect((await server.sfu.stats()).workers).toEqual([expect.objectContaining({ rooms: 1, peers: 2 })]);
    } finally {
      for (const c of clients) await c.close();
      await server.stop();
    }
  }, 60_000);
});
