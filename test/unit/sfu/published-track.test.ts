import { describe, expect, it } from 'vitest';
import type { IncomingTrack } from '../../../src/media/engine/transport.js';
import { buildRtpPacket } from '../../../src/media/rtp/index.js';
import { PublishedTrack } from '../../../src/sfu/published-track.js';
import { FakeClock } from '../media/helpers.js';

/** An incoming simulcast layer whose packets the test pushes. */
function layer(rid: string): IncomingTrack & { push(seq: number): void } {
  let handler: ((p: Buffer) => void) | undefined;
  return {
    id: rid, kind: 'video', mid: '0', rid, ssrc: 0, codec: { mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 },
    onRtp(h) { handler = h; return () => (handler = undefined); },
    push(seq) { handler?.(buildRtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, ssrc: rid.charCodeAt(0), payload: Buffer.alloc(100) })); },
  };
}

describe('PublishedTrack manual quality', () => {
  it('forwards the layer asked for when it is sent, else the nearest one that is', () => {
    const clock = new FakeClock();
    const track = new PublishedTrack({
      info: { sid: 'TR_1', cid: 'c', kind: 'video', source: 'camera', name: '', muted: false, layers: [{ rid: 'q', width: 320, height: 180 }, { rid: 'h', width: 640, height: 360 }, { rid: 'f', width: 1280, height: 720 }] },
      participantSid: 'PA_1', kind: 'video', mimeType: 'video/VP8', clock: clock.fn, sendPli: () => undefined, onAudioLevel: () => undefined,
    });
    expect(track.layerForManualQuality('high')).toBe(2); // nothing measured yet: as asked
    const [q, h] = [layer('q'), layer('h')];
    track.attach(q);
    track.attach(h);
    for (let i = 0; i < 10; i++) {
      q.push(i);
      h.push(i);
      clock.advance(30);
    }
    expect(track.layerForManualQuality('high')).toBe(1); // f is not sent: h
    expect(track.layerForManualQuality('medium')).toBe(1);
    expect(track.layerForManualQuality('low')).toBe(0);
  });
});
