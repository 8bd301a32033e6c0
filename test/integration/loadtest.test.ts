/**
 * The SFU load tester itself: one libwebrtc VP8 publisher and two libdatachannel subscribers
 * through a real Parley server for a few seconds; packets must arrive, with (almost) no loss, and
 * the report must carry the server's CPU and memory. Plus the loss arithmetic on synthetic RTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNdc, runLoadtest, type LoadtestProgress } from '../../src/loadtest/index.js';
import { RtpReceiveStats, lossRatioOf } from '../../src/loadtest/rtp-stats.js';
import { API_KEY, API_SECRET, startTestServer, type TestServer } from '../helpers/server.js';

function rtp(seq: number, ssrc = 0x1234, pt = 96): Buffer {
  const b = Buffer.alloc(112);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

describe('RtpReceiveStats', () => {
  it('counts a gap across the 16-bit wrap as loss, and RTX and RTCP apart', () => {
    const stats = new RtpReceiveStats(new Set([97]));
    for (const seq of [65533, 65534, 65535, 1, 2]) stats.onPacket(rtp(seq)); // 0 is missing
    stats.onPacket(rtp(0, 0x9999, 97)); // the retransmission, on the RTX stream
    stats.onPacket(Buffer.from([0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0])); // a receiver report

    const c = stats.snapshot();

    expect(c).toMatchObject({ packets: 5, expected: 6, rtx: 1, rtcp: 1 });
    expect(lossRatioOf(c)).toBeCloseTo(1 / 6);
  });
});

describe('runLoadtest against Parley', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
    loadNdc().cleanup();
  });

  it('delivers one publisher to two subscribers with low loss and reports the server cost', async () => {
    const progress: LoadtestProgress[] = [];

    const report = await runLoadtest({
      target: { url: `http://127.0.0.1:${server.port}`, room: 'loadtest', auth: { kind: 'key', apiKey: API_KEY, apiSecret: API_SECRET } },
      publishers: 1,
      subscribers: 2,
      video: { width: 320, height: 180, maxBitrate: 500_000 },
      warmupSeconds: 1,
      rampTimeoutSeconds: 0,
      durationSeconds: 3,
      serverPid: process.pid,
      onProgress: (p) => progress.push(p),
    });

    expect(report.totals.subscribersConnected).toBe(2);
    expect(report.publisherWindow[0]!.packets).toBeGreaterThan(30);
    for (const s of report.subscribers) {
      expect(s.error).toBeUndefined();
      expect(s.packets).toBeGreaterThan(30);
      expect(s.lossRatio).toBeLessThan(0.02);
      expect(s.bitrate).toBeGreaterThan(50_000);
    }
    expect(report.server!.cpuSeconds).toBeGreaterThan(0);
    expect(report.server!.rssEndBytes).toBeGreaterThan(0);
    expect(progress.some((p) => p.phase === 'measuring' && p.subscribersConnected === 2 && p.packetsPerSecond > 0)).toBe(true);
  }, 60_000);
});
