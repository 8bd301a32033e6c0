import { describe, expect, it } from 'vitest';
import { clientMessage } from '../../../src/signaling/protocol.js';
import { handlers } from '../../../src/signaling/handlers.js';
import { Session, type Outbound } from '../../../src/signaling/session.js';

describe('protocol v1 parsing', () => {
  it('accepts every well-formed client message type', () => {
    const good = [
      { type: 'join', id: 1, token: 't' },
      { type: 'resume', participantSid: 'PA_x', resumeToken: 'r'.repeat(32), lastSeq: 3 },
      { type: 'leave' },
      { type: 'publish_track', cid: 'c', kind: 'video', source: 'screen' },
      { type: 'unpublish_track', trackSid: 'TR_1' },
      { type: 'mute_track', trackSid: 'TR_1', muted: true },
      { type: 'signal', to: 'PA_1', payload: { kind: 'candidate', candidate: null } },
      { type: 'data', payload: { any: ['json'] } },
      { type: 'update_participant', name: 'n' },
      { type: 'ice_servers' },
      { type: 'ping', ts: 1 },
      { type: 'sfu_offer', sdp: 'v=0', tracks: [{ mid: '0', trackSid: 'TR_1' }] },
      { type: 'sfu_answer', sdp: 'v=0' },
      { type: 'sfu_candidate', target: 'subscriber', candidate: null },
      { type: 'subscribe', trackSid: 'TR_1', subscribe: false },
      { type: 'track_settings', trackSid: 'TR_1', quality: 'low', width: 320, height: 180, paused: false },
    ];
    for (const m of good) expect(clientMessage.safeParse(m).success, JSON.stringify(m)).toBe(true);
    // the handler table covers exactly the message types
    expect(Object.keys(handlers).sort()).toEqual(good.map((m) => m.type).sort());
  });

  it('rejects unknown fields, wrong types and oversize values', () => {
    const bad = [
      { type: 'join', token: 't', admin: true },
      { type: 'join', token: 5 },
      { type: 'signal', to: 'PA_1', payload: { kind: 'offer' } },
      { type: 'signal', to: 'PA_1', payload: { kind: 'rollback', sdp: 'x' } },
      { type: 'publish_track', cid: 'c', kind: 'video', width: -1 },
      { type: 'update_participant', metadata: 'x'.repeat(20_000) },
      { type: 'data', to: 'PA_1', payload: 1 },
      { type: 'resume', participantSid: 'PA_x', resumeToken: 'short' },
      { type: 'sfu_offer', sdp: '' },
      { type: 'sfu_candidate', target: 'both', candidate: null },
      { type: 'track_settings', trackSid: 'TR_1', quality: 'ultra' },
      { type: 'publish_track', cid: 'c', kind: 'video', layers: [{ rid: 'q', width: 1, height: 1 }, { rid: 'h', width: 1, height: 1 }, { rid: 'f', width: 1, height: 1 }, { rid: 'x', width: 1, height: 1 }] },
      { type: 'publish_track', cid: 'c', kind: 'video', layers: [{ rid: 'q q', width: 1, height: 1 }] },
    ];
    for (const m of bad) expect(clientMessage.safeParse(m).success, JSON.stringify(m)).toBe(false);
  });
});

describe('Session', () => {
  const sink = () => {
    const frames: string[] = [];
    const out: Outbound & { frames: string[]; closed?: number } = { frames, sendRaw: (f) => frames.push(f), close: (code) => (out.closed = code) };
    return out;
  };

  it('numbers notifications and replays the missed ones on resume', () => {
    const a = sink();
    const s = new Session(a, () => undefined);
    s.deliver({ type: 'room_updated', room: {} as never });
    s.deliver({ type: 'track_unpublished', participantSid: 'p', trackSid: 't1' });
    expect(a.frames.map((f) => JSON.parse(f).seq)).toEqual([1, 2]);
    s.detach(a, 1000, () => () => undefined, () => undefined);
    s.deliver({ type: 'track_unpublished', participantSid: 'p', trackSid: 't2' });
    expect(a.frames).toHaveLength(2);
    const b = sink();
    expect(s.canResume(1)).toBe(true);
    s.resume(b, 1);
    expect(b.frames.map((f) => JSON.parse(f).seq)).toEqual([2, 3]);
    expect(s.canResume(99)).toBe(false);
  });

  it('expires after the grace period unless resumed, and ignores a stale socket', () => {
    const a = sink();
    let fire: (() => void) | undefined;
    let expired = false;
    const s = new Session(a, () => undefined);
    s.detach(a, 1000, (fn) => ((fire = fn), () => (fire = undefined)), () => (expired = true));
    const b = sink();
    s.resume(b, 0);
    expect(fire).toBeUndefined();
    s.detach(a, 1000, (fn) => ((fire = fn), () => undefined), () => (expired = true));
    expect(fire).toBeUndefined(); // a is no longer this session's socket
    s.detach(b, 1000, (fn) => ((fire = fn), () => undefined), () => (expired = true));
    fire!();
    expect(expired).toBe(true);
  });

  it('keeps only recent frames while attached, everything while detached', () => {
    const a = sink();
    const s = new Session(a, () => undefined);
    for (let i = 0; i < 200; i++) s.deliver({ type: 'track_unpublished', participantSid: 'p', trackSid: `t${i}` });
    expect(s.canResume(50)).toBe(false); // frame 51 was dropped: only the last 128 are kept
    expect(s.canResume(72)).toBe(true);
    s.detach(a, 1000, () => () => undefined, () => undefined);
    for (let i = 0; i < 1000; i++) s.deliver({ type: 'track_unpublished', participantSid: 'p', trackSid: `u${i}` });
    expect(s.canResume(72)).toBe(true);
    const b = sink();
    s.resume(b, 72);
    expect(b.frames).toHaveLength(1128);
  });

  it('closes the previous socket when resumed elsewhere', () => {
    const a = sink();
    const s = new Session(a, () => undefined);
    s.resume(sink(), 0);
    expect(a.closed).toBe(4001);
  });
});
