import { describe, expect, it } from 'vitest';
import { KeyframeThrottle } from '../../../src/media/forwarding/keyframe-throttle.js';
import { DownTrack } from '../../../src/media/forwarding/down-track.js';
import { TrackFanout } from '../../../src/media/forwarding/track-fanout.js';
import { FakeClock, vp8Packet } from './helpers.js';

describe('KeyframeThrottle', () => {
  it('lets one request per SSRC through per interval', () => {
    const clock = new FakeClock();
    const t = new KeyframeThrottle({ clock: clock.fn, minIntervalMs: 500 });
    expect(t.request(1)).toBe('send');
    expect(t.request(1)).toBe('throttled');
    expect(t.request(2)).toBe('send');
    clock.advance(499);
    expect(t.request(1)).toBe('throttled');
    clock.advance(1);
    expect(t.request(1)).toBe('send');
    expect(t.stats).toEqual({ sent: 3, throttled: 2 });
  });

  it('numbers FIR requests per SSRC, modulo 256', () => {
    const t = new KeyframeThrottle({ clock: () => 0 });
    expect([t.nextFirSequence(1), t.nextFirSequence(1), t.nextFirSequence(2)]).toEqual([0, 1, 0]);
    for (let i = 0; i < 254; i++) t.nextFirSequence(1);
    expect(t.nextFirSequence(1)).toBe(0);
  });
});

describe('TrackFanout keyframe fan-in', () => {
  it('many subscribers asking at once produce one PLI per layer SSRC per interval', () => {
    const clock = new FakeClock();
    const plis: number[] = [];
    const fanout = new TrackFanout({ clock: clock.fn, codec: 'vp8', keyframeIntervalMs: 500, sendPli: (ssrc) => plis.push(ssrc) });
    fanout.setLayerSsrc(0, 0x10);
    const downs = Array.from({ length: 50 }, (_, i) => {
      const dt = new DownTrack({
        kind: 'video',
        ssrc: 1000 + i,
        clockRate: 90000,
        clock: clock.fn,
        sinks: { forwardRtp: () => undefined, sendRtp: () => undefined, requestKeyframe: (layer) => fanout.requestKeyframe(layer) },
      });
      fanout.add(dt);
      return dt;
    });
    downs.forEach((d) => d.start());
    expect(plis).toEqual([0x10]);
    // subscribers' own PLIs once they receive video
    fanout.writeRtp(vp8Packet({ ssrc: 0x10, seq: 1, ts: 0, keyframe: true }), 0);
    downs.forEach((d) => d.handleRtcp({ type: 'pli', senderSsrc: 1, mediaSsrc: d.ssrc }));
    expect(plis).toEqual([0x10]);
    clock.advance(500);
    downs.forEach((d) => d.handleRtcp({ type: 'pli', senderSsrc: 1, mediaSsrc: d.ssrc }));
    expect(plis).toEqual([0x10, 0x10]);
    expect(fanout.throttle.stats).toEqual({ sent: 2, throttled: 49 + 50 + 49 });
  });

  it('holds a request for a layer whose SSRC is not known yet and sends it when it appears', () => {
    const clock = new FakeClock();
    const plis: number[] = [];
    const fanout = new TrackFanout({ clock: clock.fn, codec: 'vp8', sendPli: (ssrc) => plis.push(ssrc) });
    fanout.requestKeyframe(2);
    expect(plis).toEqual([]);
    fanout.writeRtp(vp8Packet({ ssrc: 0x30, seq: 1, ts: 0 }), 2);
    expect(plis).toEqual([0x30]);
  });
});
