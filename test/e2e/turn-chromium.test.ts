/**
 * Chromium end to end: two pages with iceTransportPolicy 'relay' and TURN REST credentials from
 * iceServersFor() send each other canvas video through Parley's TURN and decode it.
 */
/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnSection } from '../../src/config/turn.js';
import { iceServersFor } from '../../src/turn/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { nativeByDefault, startTurn, type RunningTurn } from '../integration/turn/harness.js';

const SECRET = 'chromium-e2e-secret';

interface Side {
  page: Page;
}

/** Installs a peer connection with a canvas video track in the page. */
async function setup(page: Page, iceServers: unknown): Promise<void> {
  await page.evaluate((ice) => {
    const w = window as unknown as Record<string, unknown>;
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 240;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    let n = 0;
    setInterval(() => {
      ctx.fillStyle = `hsl(${(n += 7) % 360}, 80%, 50%)`;
      ctx.fillRect(0, 0, 320, 240);
    }, 33);
    const stream = canvas.captureStream(30);
    const pc = new RTCPeerConnection({ iceServers: ice as RTCIceServer[], iceTransportPolicy: 'relay' });
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    document.body.appendChild(video);
    pc.ontrack = (e) => {
      video.srcObject = e.streams[0] ?? new MediaStream([e.track]);
    };
    w.pc = pc;
    w.video = video;
  }, iceServers);
}

const gathered = (page: Page): Promise<RTCSessionDescriptionInit> =>
  page.evaluate(async () => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    if (pc.iceGatheringState !== 'complete') {
      await new Promise<void>((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()));
    }
    const d = pc.localDescription as RTCSessionDescription;
    return { type: d.type, sdp: d.sdp };
  });

/** Resolves once `frames` frames were decoded; returns the selected pair's candidate types. */
const decoded = (page: Page, frames: number) =>
  page.evaluate(async (want) => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    for (;;) {
      const stats = await pc.getStats();
      let framesDecoded = 0;
      let local = '';
      let remote = '';
      stats.forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = Number(s.framesDecoded ?? 0);
        if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') {
          const pair = stats.get(s.selectedCandidatePairId) as Record<string, unknown> | undefined;
          local = String((stats.get(String(pair?.localCandidateId)) as Record<string, unknown> | undefined)?.candidateType ?? '');
          remote = String((stats.get(String(pair?.remoteCandidateId)) as Record<string, unknown> | undefined)?.candidateType ?? '');
        }
      });
      const video = (window as unknown as { video: HTMLVideoElement }).video;
      if (framesDecoded >= want && video.videoWidth > 0) return { framesDecoded, local, remote, width: video.videoWidth };
      await new Promise<void>((r) => requestAnimationFrame(() => r()));
    }
  }, frames);

describe('Chromium relay-only video through the embedded TURN server', () => {
  let turn: RunningTurn;
  let browser: Browser;
  const sides: Side[] = [];

  beforeAll(async () => {
    turn = await startTurn({ listenIp: '127.0.0.1', port: 0, allowLoopbackPeers: true, relayPortMin: 51000, relayPortMax: 51999 }, { secret: SECRET });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await turn?.stop();
  });

  it('two pages decode each other\'s video over relay candidates only', async () => {
    expect(turn.native).toBe(nativeByDefault());
    const config = turnSection.parse({});
    const ice = (identity: string) =>
      iceServersFor({ config, secret: SECRET, host: '127.0.0.1', identity, now: Date.now(), tlsEnabled: false, ports: { udp: turn.ports.udp } }).iceServers;
    for (const who of ['alice', 'bob']) {
      const page = await browser.newPage();
      await setup(page, ice(who));
      sides.push({ page });
    }
    const [a, b] = sides as [Side, Side];
    await a.page.evaluate(async () => {
      const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
      await pc.setLocalDescription(await pc.createOffer());
    });
    const offer = await gathered(a.page);
    expect(offer.sdp).toContain('typ relay');
    expect(offer.sdp).not.toContain('typ host');
    await b.page.evaluate(async (o) => {
      const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
      await pc.setRemoteDescription(o);
      await pc.setLocalDescription(await pc.createAnswer());
    }, offer);
    const answer = await gathered(b.page);
    await a.page.evaluate(async (o) => {
      await (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription(o);
    }, answer);
    const [ra, rb] = await Promise.all([decoded(a.page, 30), decoded(b.page, 30)]);
    for (const r of [ra, rb]) {
      expect(r).toMatchObject({ local: 'relay', remote: 'relay', width: 320 });
      expect(r.framesDecoded).toBeGreaterThanOrEqual(30);
    }
  }, 90_000);
});
