/** The SDK's pure SFU parts: simulcast plans, the mid -> track map, subscription settings, data framing, per-track stats. */
import { describe, expect, it } from 'vitest';
import { encodeDataFrame } from '../../../src/signaling/data-frame.js';
import type { SubscribedTrack } from '../../../src/signaling/protocol.js';
import { bundleTag } from '../../../src/client/sfu/candidates.js';
import { decodeRoomData, encodeRoomData } from '../../../src/client/sfu/data.js';
import { desiredSettings, displaySize, settingsDelta } from '../../../src/client/sfu/settings.js';
import { layerBitrate, layerOfWidth, simulcastPlan } from '../../../src/client/sfu/simulcast.js';
import { SubscriberTrackMap } from '../../../src/client/sfu/track-map.js';
import { summarizeStats } from '../../../src/client/quality.js';
import { inboundTrackStats, withRates } from '../../../src/client/track-stats.js';

describe('simulcastPlan', () => {
  it('sends a 720p camera as q/h/f at a quarter, half and full size, lowest first', () => {
    const plan = simulcastPlan(1280, 720);
    expect(plan?.layers).toEqual([
      { rid: 'q', width: 320, height: 180, maxBitrate: layerBitrate(320, 180) },
      { rid: 'h', width: 640, height: 360, maxBitrate: layerBitrate(640, 360) },
      { rid: 'f', width: 1280, height: 720, maxBitrate: layerBitrate(1280, 720) },
    ]);
    expect(plan?.encodings.map((e) => [e.rid, e.scaleResolutionDownBy])).toEqual([['q', 4], ['h', 2], ['f', 1]]);
    expect(plan?.encodings.map((e) => e.maxBitrate)).toEqual(plan?.layers.map((l) => l.maxBitrate));
  });

  it('sends two layers from 360p, none below or without a size', () => {
    expect(simulcastPlan(640, 360)?.layers.map((l) => `${l.rid}:${l.width}x${l.height}`)).toEqual(['h:320x180', 'f:640x360']);
    expect(simulcastPlan(480, 640)?.layers.map((l) => l.rid)).toEqual(['h', 'f']);
    expect(simulcastPlan(320, 240)).toBeUndefined();
    expect(simulcastPlan(undefined, 720)).toBeUndefined();
  });

  it('keeps layer bitrates between 80 kbps and 3 Mbps, growing with the pixels', () => {
    expect(layerBitrate(16, 16)).toBe(80_000);
    expect(layerBitrate(3840, 2160)).toBe(3_000_000);
    expect(layerBitrate(320, 180)).toBeLessThan(layerBitrate(640, 360));
    expect(layerBitrate(640, 360)).toBeLessThan(layerBitrate(1280, 720));
  });
});

describe('layerOfWidth', () => {
  const layers = simulcastPlan(1280, 720)?.layers;

  it('names the layer whose width is nearest the decoded width', () => {
    expect(layerOfWidth(layers, 320)).toEqual({ rid: 'q', quality: 'low' });
    expect(layerOfWidth(layers, 620)).toEqual({ rid: 'h', quality: 'medium' });
    expect(layerOfWidth(layers, 1280)).toEqual({ rid: 'f', quality: 'high' });
    expect(layerOfWidth(simulcastPlan(640, 360)?.layers, 640)).toEqual({ rid: 'f', quality: 'high' });
    expect(layerOfWidth(simulcastPlan(640, 360)?.layers, 320)).toEqual({ rid: 'h', quality: 'low' });
  });

  it('knows nothing without layers or frames', () => {
    expect(layerOfWidth(undefined, 640)).toBeUndefined();
    expect(layerOfWidth(layers, 0)).toBeUndefined();
  });
});

describe('SubscriberTrackMap', () => {
  const track = (mid: string, trackSid: string, participantSid = 'PA_a', kind: 'audio' | 'video' = 'video'): SubscribedTrack => ({ mid, trackSid, participantSid, kind });

  it('maps each mid of an offer to its track, and reports what started and ended', () => {
    const map = new SubscriberTrackMap();
    expect(map.update([track('1', 'TR_mic', 'PA_a', 'audio'), track('2', 'TR_cam')])).toEqual({
      added: [track('1', 'TR_mic', 'PA_a', 'audio'), track('2', 'TR_cam')],
      removed: [],
    });
    expect(map.byMid('2')?.trackSid).toBe('TR_cam');
    expect(map.byTrackSid('TR_mic')?.mid).toBe('1');
    expect(map.byMid(null)).toBeUndefined();

    // The same list again changes nothing; a new track on a new m-line is added.
    expect(map.update([track('1', 'TR_mic', 'PA_a', 'audio'), track('2', 'TR_cam')])).toEqual({ added: [], removed: [] });
    const change = map.update([track('1', 'TR_mic', 'PA_a', 'audio'), track('2', 'TR_cam'), track('3', 'TR_b', 'PA_b')]);
    expect(change).toEqual({ added: [track('3', 'TR_b', 'PA_b')], removed: [] });
    expect([...map.midsOf('PA_a')].sort()).toEqual(['1', '2']);
  });

  it('ends a track whose m-line is gone or now carries another track', () => {
    const map = new SubscriberTrackMap();
    map.update([track('1', 'TR_old'), track('2', 'TR_cam')]);
    const change = map.update([track('1', 'TR_new', 'PA_b')]);
    expect(change.removed.map((t) => t.trackSid).sort()).toEqual(['TR_cam', 'TR_old']);
    expect(change.added).toEqual([track('1', 'TR_new', 'PA_b')]);
    expect(map.byTrackSid('TR_old')).toBeUndefined();
    expect(map.size).toBe(1);
  });
});

describe('subscription settings', () => {
  it('reports the largest visible element in device pixels, or hidden when none is visible', () => {
    expect(displaySize([], 2)).toBeUndefined();
    expect(displaySize([{ width: 320, height: 180, visible: true }, { width: 640.4, height: 360, visible: true }], 2)).toEqual({ width: 1281, height: 720, hidden: false });
    expect(displaySize([{ width: 640, height: 360, visible: false }, { width: 0, height: 0, visible: true }], 1)).toEqual({ width: 0, height: 0, hidden: true });
  });

  it('pauses when the app disables the track or every element is hidden', () => {
    expect(desiredSettings({ quality: 'auto', display: undefined, enabled: true })).toEqual({ quality: 'auto', paused: false });
    expect(desiredSettings({ quality: 'high', display: { width: 640, height: 360, hidden: false }, enabled: true })).toEqual({ quality: 'high', paused: false, width: 640, height: 360 });
    expect(desiredSettings({ quality: 'auto', display: { width: 0, height: 0, hidden: true }, enabled: true })).toEqual({ quality: 'auto', paused: true });
    expect(desiredSettings({ quality: 'low', display: { width: 640, height: 360, hidden: false }, enabled: false }).paused).toBe(true);
  });

  it('sends only what changed, and sizes only when they change by more than 15 %', () => {
    // The server starts at auto, not paused: nothing to say until something differs.
    expect(settingsDelta({}, { quality: 'auto', paused: false })).toBeUndefined();
    expect(settingsDelta({}, { quality: 'low', paused: false })).toEqual({ quality: 'low' });
    expect(settingsDelta({}, { quality: 'auto', paused: false, width: 640, height: 360 })).toEqual({ width: 640, height: 360 });
    const sent = { quality: 'low' as const, width: 640, height: 360 };
    expect(settingsDelta(sent, { quality: 'low', paused: false, width: 700, height: 394 })).toBeUndefined();
    expect(settingsDelta(sent, { quality: 'low', paused: false, width: 800, height: 450 })).toEqual({ width: 800, height: 450 });
    expect(settingsDelta(sent, { quality: 'high', paused: true, width: 640, height: 360 })).toEqual({ quality: 'high', paused: true });
    expect(settingsDelta({ ...sent, paused: true }, { quality: 'low', paused: false, width: 640, height: 360 })).toEqual({ paused: false });
  });
});

describe('room data frames', () => {
  const relayed = (header: object, payload: Uint8Array | string): Uint8Array => encodeDataFrame(header as never, payload);

  it('sends JSON values as text frames with the topic and addressees', () => {
    const frame = encodeRoomData({ text: 'hi' }, { topic: 'chat', to: ['PA_b'] });
    const head = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + ((frame[2] ?? 0) << 8 | (frame[3] ?? 0))))) as unknown;
    expect(head).toEqual({ topic: 'chat', to: ['PA_b'], text: true });
    expect(encodeRoomData(undefined).length).toBeGreaterThan(4);
    expect(() => encodeRoomData('x'.repeat(70_000))).toThrow(RangeError);
  });

  it('reads a relayed frame back as the same JSON value, stamped with the sender', () => {
    const frame = relayed({ from: 'PA_a', identity: 'ann', topic: 'chat' }, JSON.stringify({ n: [1, 2], s: 'über' }));
    expect(decodeRoomData(frame)).toEqual({ payload: { n: [1, 2], s: 'über' }, from: { sid: 'PA_a', identity: 'ann' }, topic: 'chat' });
  });

  it('keeps binary payloads as bytes and non-JSON text as the string', () => {
    const bytes = decodeRoomData(relayed({ from: 'PA_a', identity: 'ann' }, new Uint8Array([1, 2, 3])));
    expect('payload' in bytes && [...(bytes.payload as Uint8Array)]).toEqual([1, 2, 3]);
    expect(decodeRoomData(relayed({ from: 'PA_a', identity: 'ann' }, 'plain text'))).toMatchObject({ payload: 'plain text' });
  });

  it('refuses frames without a sender or with broken text', () => {
    expect(decodeRoomData(relayed({ topic: 'x' }, '1'))).toHaveProperty('error');
    const broken = relayed({ from: 'PA_a', identity: 'ann', text: true }, new Uint8Array([0xff, 0xfe]));
    expect(decodeRoomData(broken)).toEqual({ error: 'text payload is not UTF-8' });
    expect(decodeRoomData(new Uint8Array([1, 2, 3]))).toHaveProperty('error');
  });
});

describe('per-track receive stats', () => {
  const report = (entries: Record<string, unknown>[]): RTCStatsReport => new Map(entries.map((e, i) => [String(i), e])) as unknown as RTCStatsReport;
  const video = (mid: string, id: string, bytes: number, packets: number, lost: number): Record<string, unknown> => ({
    type: 'inbound-rtp', kind: 'video', mid, trackIdentifier: id, bytesReceived: bytes, packetsReceived: packets, packetsLost: lost,
    framesDecoded: 40, frameWidth: 640, frameHeight: 360, framesPerSecond: 20,
  });

  it('reads each inbound stream and derives bitrate and loss between two samples', () => {
    const first = inboundTrackStats(report([video('2', 'v1', 10_000, 100, 0), { type: 'inbound-rtp', kind: 'audio', mid: '1', trackIdentifier: 'a1', totalSamplesReceived: 48_000 }]), 1000);
    expect(first.map((s) => [s.trackIdentifier, s.kind])).toEqual([['v1', 'video'], ['a1', 'audio']]);
    expect(first[1]?.totalSamplesReceived).toBe(48_000);
    const [second] = inboundTrackStats(report([video('2', 'v1', 135_000, 195, 5)]), 2000);
    const rated = second && withRates(first[0], second);
    expect(rated?.bitrate).toBe(1_000_000);
    expect(rated?.loss).toBeCloseTo(0.05);
    expect(withRates(undefined, first[0] as never).bitrate).toBe(0);
  });

  it("summarises only the streams of one participant's mids", () => {
    const r = report([video('2', 'v1', 1000, 10, 1), video('4', 'v2', 5000, 50, 0)]);
    const sample = summarizeStats(r, 0, (e) => e.mid === '4');
    expect(sample.packetsReceived).toBe(50);
    expect(sample.packetsLost).toBe(0);
    expect(sample.tracks?.map((t) => t.trackIdentifier)).toEqual(['v2']);
    expect(summarizeStats(r, 0).tracks ?? []).toHaveLength(2);
  });
});

describe('bundleTag', () => {
  it('names the first mid of the BUNDLE group', () => {
    expect(bundleTag('v=0\r\na=group:BUNDLE 2 4\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n')).toBe('2');
    expect(bundleTag('v=0\na=group:BUNDLE 0\n')).toBe('0');
    expect(bundleTag('v=0\r\n')).toBeUndefined();
    expect(bundleTag(undefined)).toBeUndefined();
  });
});
