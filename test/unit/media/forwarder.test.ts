import { describe, expect, it } from 'vitest';
import { Forwarder, type ForwardDecision, type IncomingPacket } from '../../../src/media/forwarding/forwarder.js';
import { NO_LAYER } from '../../../src/media/forwarding/layer-selection.js';
import { FakeClock } from './helpers.js';

const SSRC = [0x100, 0x200, 0x300];

/** A simulcast publisher: three layers with independent seq/ts spaces, one packet per frame. */
class Publisher {
  private readonly seq = [1000, 30_000, 65_530];
  private readonly ts = [0, 1_000_000, 0xffff0000];
  frame(layer: number, keyframe = false): IncomingPacket {
    const s = this.seq[layer] ?? 0;
    const t = this.ts[layer] ?? 0;
    this.seq[layer] = (s + 1) & 0xffff;
    this.ts[layer] = (t + 3000) >>> 0;
    return { layer, sequenceNumber: s, timestamp: t, ssrc: SSRC[layer] ?? 0, keyframe };
  }
}

function sent(d: ForwardDecision): { sequenceNumber: number; timestamp: number } {
  if (d.action !== 'forward') throw new Error(`dropped: ${d.reason}`);
  return d;
}

function video(clock: FakeClock, targetLayer = 0): Forwarder {
  return new Forwarder({ kind: 'video', ssrc: 0xaaaa, clockRate: 90000, clock: clock.fn, targetLayer, initialSequenceNumber: 0, initialTimestamp: 0 });
}

describe('Forwarder', () => {
  it('requests a keyframe on subscribe and drops until it arrives', () => {
    const clock = new FakeClock();
    const f = video(clock, 1);
    const pub = new Publisher();
    expect(f.start()).toEqual({ layer: 1 });
    expect(f.decide(pub.frame(1))).toEqual({ action: 'drop', reason: 'waiting-keyframe' });
    expect(f.decide(pub.frame(0, true))).toEqual({ action: 'drop', reason: 'waiting-keyframe' });
    const first = f.decide(pub.frame(1, true));
    expect(first).toMatchObject({ action: 'forward', sequenceNumber: 0, timestamp: 0, ssrc: 0xaaaa, switchedToLayer: 1 });
    expect(f.decide(pub.frame(0))).toEqual({ action: 'drop', reason: 'other-layer' });
    expect(f.decide(pub.frame(2, true))).toEqual({ action: 'drop', reason: 'other-layer' });
  });

  it('re-requests the keyframe while waiting, at most once per retry interval', () => {
    const clock = new FakeClock();
    const f = new Forwarder({ kind: 'video', ssrc: 1, clockRate: 90000, clock: clock.fn, keyframeRetryMs: 300 });
    const pub = new Publisher();
    f.start();
    expect(f.decide(pub.frame(0))).toEqual({ action: 'drop', reason: 'waiting-keyframe' });
    clock.advance(300);
    expect(f.decide(pub.frame(0))).toEqual({ action: 'drop', reason: 'waiting-keyframe', requestKeyframe: 0 });
    clock.advance(100);
    expect(f.decide(pub.frame(0))).toEqual({ action: 'drop', reason: 'waiting-keyframe' });
  });

  it('switches layers only on a keyframe of the target, keeps the old layer until then, and stays continuous', () => {
    const clock = new FakeClock();
    const f = video(clock, 0);
    const pub = new Publisher();
    f.start();
    const out: Array<{ sequenceNumber: number; timestamp: number }> = [];
    out.push(sent(f.decide(pub.frame(0, true))));
    for (let i = 0; i < 3; i++) {
      clock.advance(33);
      out.push(sent(f.decide(pub.frame(0))));
    }
    expect(f.setTargetLayer(2)).toEqual({ layer: 2 });
    clock.advance(33);
    expect(f.decide(pub.frame(2))).toEqual({ action: 'drop', reason: 'other-layer' }); // not a keyframe
    out.push(sent(f.decide(pub.frame(0)))); // old layer still flows: no freeze
    clock.advance(33);
    const sw = f.decide(pub.frame(2, true)); // layer 2 wraps its seq soon after: 65530..
    expect(sw).toMatchObject({ action: 'forward', switchedToLayer: 2 });
    out.push(sent(sw));
    expect(f.decide(pub.frame(0))).toEqual({ action: 'drop', reason: 'other-layer' });
    for (let i = 0; i < 10; i++) {
      clock.advance(33);
      out.push(sent(f.decide(pub.frame(2))));
    }
    expect(f.currentLayer).toBe(2);
    out.forEach((p, i) => expect(p.sequenceNumber).toBe(i));
    for (let i = 1; i < out.length; i++) {
      const step = ((out[i]?.timestamp ?? 0) - (out[i - 1]?.timestamp ?? 0)) >>> 0;
      expect(step).toBeGreaterThan(0);
      expect(step).toBeLessThanOrEqual(3000 * 2);
    }
  });

  it('switches down the same way and back without waiting when the switch is cancelled', () => {
    const clock = new FakeClock();
    const f = video(clock, 2);
    const pub = new Publisher();
    f.start();
    sent(f.decide(pub.frame(2, true)));
    expect(f.setTargetLayer(0)).toEqual({ layer: 0 });
    expect(f.setTargetLayer(2)).toBeUndefined();
    sent(f.decide(pub.frame(2)));
    expect(f.setTargetLayer(0)).toEqual({ layer: 0 });
    expect(sent(f.decide(pub.frame(0, true)))).toMatchObject({ switchedToLayer: 0, sequenceNumber: 2 });
  });

  it('pauses on NO_LAYER and resumes on a keyframe', () => {
    const clock = new FakeClock();
    const f = video(clock, 0);
    const pub = new Publisher();
    f.start();
    sent(f.decide(pub.frame(0, true)));
    expect(f.setTargetLayer(NO_LAYER)).toBeUndefined();
    expect(f.decide(pub.frame(0))).toEqual({ action: 'drop', reason: 'paused' });
    expect(f.setTargetLayer(0)).toEqual({ layer: 0 });
    expect(f.decide(pub.frame(0))).toMatchObject({ action: 'drop', reason: 'waiting-keyframe' });
    expect(sent(f.decide(pub.frame(0, true))).sequenceNumber).toBe(1);
  });

  it('mute drops everything; unmute resumes on a keyframe with seq +1 and ts advanced by the gap', () => {
    const clock = new FakeClock();
    const f = video(clock, 0);
    const pub = new Publisher();
    f.start();
    sent(f.decide(pub.frame(0, true)));
    expect(f.setMuted(true)).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(f.decide(pub.frame(0, i === 0))).toEqual({ action: 'drop', reason: 'muted' });
    clock.advance(2000);
    expect(f.setMuted(false)).toEqual({ layer: 0 });
    expect(f.decide(pub.frame(0))).toMatchObject({ action: 'drop', reason: 'waiting-keyframe' });
    const resumed = sent(f.decide(pub.frame(0, true)));
    expect(resumed.sequenceNumber).toBe(1);
    expect(resumed.timestamp).toBe(2000 * 90);
  });

  it('audio: no keyframe gating, mute gap bridged by elapsed time', () => {
    const clock = new FakeClock();
    const f = new Forwarder({ kind: 'audio', ssrc: 5, clockRate: 48000, clock: clock.fn, initialSequenceNumber: 0, initialTimestamp: 0 });
    expect(f.start()).toBeUndefined();
    const pkt = (seq: number, ts: number): IncomingPacket => ({ layer: 0, sequenceNumber: seq, timestamp: ts, ssrc: 77, keyframe: false });
    expect(sent(f.decide(pkt(10, 960)))).toMatchObject({ sequenceNumber: 0, timestamp: 0 });
    f.setMuted(true);
    expect(f.decide(pkt(11, 1920))).toEqual({ action: 'drop', reason: 'muted' });
    clock.advance(500);
    expect(f.setMuted(false)).toBeUndefined();
    expect(sent(f.decide(pkt(40, 30_000)))).toMatchObject({ sequenceNumber: 1, timestamp: 24_000 });
    expect(sent(f.decide(pkt(41, 30_960)))).toMatchObject({ sequenceNumber: 2, timestamp: 24_960 });
  });

  it('a publisher restart (new SSRC on the current layer) waits for its keyframe', () => {
    const clock = new FakeClock();
    const f = video(clock, 0);
    f.start();
    sent(f.decide({ layer: 0, sequenceNumber: 5, timestamp: 0, ssrc: 1, keyframe: true }));
    clock.advance(600);
    expect(f.decide({ layer: 0, sequenceNumber: 900, timestamp: 77, ssrc: 2, keyframe: false })).toMatchObject({
      action: 'drop',
      reason: 'waiting-keyframe',
      requestKeyframe: 0,
    });
    expect(sent(f.decide({ layer: 0, sequenceNumber: 901, timestamp: 77, ssrc: 2, keyframe: true })).sequenceNumber).toBe(1);
  });

  it('retries the keyframe request while forwarding the old layer', () => {
    const clock = new FakeClock();
    const f = video(clock, 0);
    const pub = new Publisher();
    f.start();
    sent(f.decide(pub.frame(0, true)));
    f.setTargetLayer(1);
    expect(f.pollKeyframeRequest()).toBeUndefined();
    clock.advance(500);
    const d = f.decide(pub.frame(0));
    expect(d).toMatchObject({ action: 'forward', requestKeyframe: 1 });
    clock.advance(500);
    expect(f.pollKeyframeRequest()).toEqual({ layer: 1 });
  });

  it('drops padding-only packets without leaving a sequence gap', () => {
    const clock = new FakeClock();
    const f = new Forwarder({ kind: 'audio', ssrc: 5, clockRate: 48000, clock: clock.fn, initialSequenceNumber: 0 });
    sent(f.decide({ layer: 0, sequenceNumber: 1, timestamp: 0, ssrc: 1, keyframe: false }));
    expect(f.decide({ layer: 0, sequenceNumber: 2, timestamp: 0, ssrc: 1, keyframe: false, paddingOnly: true })).toEqual({ action: 'drop', reason: 'padding' });
    expect(sent(f.decide({ layer: 0, sequenceNumber: 3, timestamp: 960, ssrc: 1, keyframe: false })).sequenceNumber).toBe(1);
  });
});

describe('Forwarder.chooseLayer', () => {
  const layers = [
    { index: 0, width: 320, height: 180, bitrate: 150_000, active: true },
    { index: 1, width: 640, height: 360, bitrate: 500_000, active: true },
    { index: 2, width: 1280, height: 720, bitrate: 1_500_000, active: true },
  ];

  it('picks by bandwidth and display size, honours the manual maximum, requests keyframes on change', () => {
    const clock = new FakeClock();
    const f = new Forwarder({ kind: 'video', ssrc: 1, clockRate: 90000, clock: clock.fn });
    expect(f.chooseLayer(layers, { bandwidth: 5_000_000, displayWidth: 1280, displayHeight: 720 })).toEqual({ layer: 2 });
    expect(f.chooseLayer(layers, { bandwidth: 5_000_000, displayWidth: 1280, displayHeight: 720 })).toBeUndefined();
    expect(f.chooseLayer(layers, { bandwidth: 5_000_000, displayWidth: 400, displayHeight: 225 })).toEqual({ layer: 1 });
    expect(f.chooseLayer(layers, { bandwidth: 5_000_000, manualMaxLayer: 0 })).toEqual({ layer: 0 });
    expect(f.chooseLayer(layers, { bandwidth: 600_000 })).toEqual({ layer: 1 });
    expect(f.targetLayer).toBe(1);
  });
});
