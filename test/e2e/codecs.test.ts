/**
 * Codecs through the SFU with real Chromium and the raw protocol (no SDK): a publisher that
 * prefers H.264 or VP9, a subscriber that decodes it. The server forwards and never transcodes, so
 * the subscriber's m-line must carry the publisher's codec. VP8 and simulcast are covered by the
 * SDK's tests (sfu-*.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, startParley, type ParleyFixture } from '../helpers/browser.js';

/** Runs in the page: joins, optionally publishes camera video with one codec, answers every subscriber offer. */
async function rawClient(args: { url: string; token: string; codec: string | null; fmtp: string; relay?: boolean }): Promise<void> {
  const w = window as unknown as Record<string, unknown>;
  const ws = new WebSocket(args.url);
  await new Promise((r) => (ws.onopen = r));
  let nextId = 0;
  type Reply = { type: string; data?: { sdp: string; track: { sid: string }; iceServers: RTCIceServer[] }; code?: string };
  const pending = new Map<number, (f: Reply) => void>();
  const request = (m: Record<string, unknown>) =>
    new Promise<Reply>((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ ...m, id }));
    });
  // the join's ICE servers: Parley's TURN, with fresh credentials
  const early: string[] = [];
  ws.onmessage = (ev) => {
    const f = JSON.parse(String(ev.data));
    if (f.id !== undefined && pending.has(f.id)) {
      pending.get(f.id)?.(f);
      pending.delete(f.id);
    } else early.push(String(ev.data));
  };
  const joined = await request({ type: 'join', token: args.token });
  const config: RTCConfiguration = args.relay === true ? { iceServers: joined.data?.iceServers ?? [], iceTransportPolicy: 'relay' } : {};
  const pub = new RTCPeerConnection(config);
  const sub = new RTCPeerConnection(config);
  w['sub'] = sub;
  w['errors'] = [] as string[];
  const fail = (what: string) => (w['errors'] as string[]).push(what);
  pub.onicecandidate = (e) => e.candidate && ws.send(JSON.stringify({ type: 'sfu_candidate', target: 'publisher', candidate: e.candidate.toJSON() }));
  sub.onicecandidate = (e) => e.candidate && ws.send(JSON.stringify({ type: 'sfu_candidate', target: 'subscriber', candidate: e.candidate.toJSON() }));
  const handle = async (data: string) => {
    const f = JSON.parse(data);
    if (f.type === 'sfu_offer') {
      await sub.setRemoteDescription({ type: 'offer', sdp: f.sdp });
      const answer = await sub.createAnswer();
      await sub.setLocalDescription(answer);
      const r = await request({ type: 'sfu_answer', sdp: answer.sdp });
      if (r.type === 'error') fail(`sfu_answer: ${r.code}`);
    } else if (f.type === 'sfu_candidate' && f.candidate) {
      await (f.target === 'publisher' ? pub : sub).addIceCandidate(f.candidate).catch((e) => fail(String(e)));
    }
  };
  let chain = Promise.resolve();
  const serial = (data: string) => (chain = chain.then(() => handle(data)));
  // responses resolve at once; notifications are handled one after another
  ws.onmessage = (ev) => {
    const f = JSON.parse(String(ev.data));
    if (f.id !== undefined && pending.has(f.id)) {
      pending.get(f.id)?.(f);
      pending.delete(f.id);
    } else void serial(String(ev.data));
  };
  for (const data of early) void serial(data);
  if (args.codec === null) return;
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 } });
  const video = stream.getVideoTracks()[0];
  if (video === undefined) throw new Error('no camera');
  const published = await request({ type: 'publish_track', cid: video.id, kind: 'video', source: 'camera' });
  const transceiver = pub.addTransceiver(video, { direction: 'sendonly' });
  const codecs = RTCRtpSender.getCapabilities('video')?.codecs ?? [];
  const preferred = codecs.filter((c) => c.mimeType === args.codec && (c.sdpFmtpLine ?? '').includes(args.fmtp));
  if (preferred.length > 0) transceiver.setCodecPreferences(preferred);
  const offer = await pub.createOffer();
  await pub.setLocalDescription(offer);
  const answer = await request({ type: 'sfu_offer', sdp: offer.sdp, tracks: [{ mid: transceiver.mid, trackSid: published.data?.track.sid }] });
  if (answer.type === 'error' || answer.data === undefined) throw new Error(`sfu_offer: ${answer.code}`);
  await pub.setRemoteDescription({ type: 'answer', sdp: answer.data.sdp });
}

/** The subscriber's decoded video: codec and frames. */
function inbound(page: Page): Promise<{ mimeType: string; framesDecoded: number; width: number; candidateType: string }> {
  return page.evaluate(async () => {
    const stats = await (window as unknown as { sub: RTCPeerConnection }).sub.getStats();
    let out = { mimeType: '', framesDecoded: 0, width: 0, candidateType: '' };
    let candidateType = '';
    stats.forEach((r: { type: string; selectedCandidatePairId?: string }) => {
      if (r.type !== 'transport' || r.selectedCandidatePairId === undefined) return;
      const pair = stats.get(r.selectedCandidatePairId) as { localCandidateId?: string } | undefined;
      candidateType = String((stats.get(String(pair?.localCandidateId)) as { candidateType?: string } | undefined)?.candidateType ?? '');
    });
    stats.forEach((r: { type: string; kind?: string; codecId?: string; framesDecoded?: number; frameWidth?: number }) => {
      if (r.type !== 'inbound-rtp' || r.kind !== 'video') return;
      const codec = r.codecId !== undefined ? (stats.get(r.codecId) as { mimeType?: string } | undefined) : undefined;
      out = { mimeType: codec?.mimeType ?? '', framesDecoded: r.framesDecoded ?? 0, width: r.frameWidth ?? 0, candidateType };
    });
    return { ...out, candidateType };
  });
}

describe('codecs through the SFU (Chromium, raw protocol)', () => {
  let parley: ParleyFixture;
  let browser: Browser;
  beforeAll(async () => {
    // the embedded TURN on port 0: the relay test below reaches the SFU through it
    parley = await startParley({ 'turn.enabled': true, 'turn.port': 0, 'turn.tlsPort': 0 });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await parley?.close();
  });

  async function open(room: string, identity: string, codec: string | null, fmtp = '', relay = false): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${parley.url}/healthz`); // a secure origin for getUserMedia
    await page.evaluate('window.__name = (f) => f'); // tsx keeps function names with a helper
    const token = await parley.token(room, identity, identity);
    await page.evaluate(rawClient, { url: parley.url.replace(/^http/, 'ws') + '/rtc', token, codec, fmtp, relay });
    return page;
  }

  for (const [codec, fmtp] of [
    ['video/H264', 'packetization-mode=1;profile-level-id=42e01f'],
    ['video/VP9', 'profile-id=0'],
  ] as const) {
    it(`forwards ${codec} unchanged to a subscriber that decodes it`, async () => {
      const room = `codec-${codec.split('/')[1]?.toLowerCase() ?? 'x'}`;
      const subscriber = await open(room, 'viewer', null);
      const publisher = await open(room, 'camera', codec, fmtp);
      try {
        await expect
          .poll(async () => (await inbound(subscriber)).framesDecoded, { timeout: 30_000, interval: 500 })
          .toBeGreaterThan(20);
        const stats = await inbound(subscriber);
        expect(stats.mimeType).toBe(codec);
        expect(stats.width).toBeGreaterThan(0);
        expect(await subscriber.evaluate(() => (window as unknown as { errors: string[] }).errors)).toEqual([]);
      } finally {
        await publisher.close();
        await subscriber.close();
      }
    }, 60_000);
  }

  it("reaches the SFU through Parley's TURN when only relay candidates are allowed", async () => {
    const subscriber = await open('relay-only', 'viewer', null, '', true);
    const publisher = await open('relay-only', 'camera', 'video/VP8', '', true);
    try {
      await expect
        .poll(async () => (await inbound(subscriber)).framesDecoded, { timeout: 30_000, interval: 500 })
        .toBeGreaterThan(20)
        .catch(async (err: unknown) => {
          const metrics = (await (await fetch(`${parley.url}/metrics`)).text()).split('\n').filter((l) => l.startsWith('parley_turn_') || l.startsWith('parley_sfu_'));
          throw new Error(`${String(err)}\n${metrics.join('\n')}\nerrors: ${JSON.stringify(await subscriber.evaluate(() => (window as unknown as { errors: string[] }).errors))}`);
        });
      expect((await inbound(subscriber)).candidateType).toBe('relay');
    } finally {
      await publisher.close();
      await subscriber.close();
    }
  }, 60_000);
});
