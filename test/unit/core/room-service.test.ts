import { describe, expect, it } from 'vitest';
import { ParleyError } from '../../../src/core/errors.js';
import type { ParticipantSink } from '../../../src/core/participant.js';
import { RoomService, type RoomDefaults, type RoomEvent } from '../../../src/core/room-service.js';
import type { LeaveReason, ServerNotification } from '../../../src/signaling/protocol.js';

/** Manual clock and timers: time moves only when the test says so. */
function harness(d: Omit<RoomDefaults, 'defaultType' | 'sfuMaxParticipants'> = { maxParticipants: 2, emptyTimeout: 10, autoCreate: true }) {
  const defaults: RoomDefaults = { defaultType: 'p2p', sfuMaxParticipants: d.maxParticipants, ...d };
  let now = 1000;
  const pending: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const events: RoomEvent[] = [];
  const rooms = new RoomService({
    defaults,
    clock: () => now,
    timers: {
      set(fn, ms) {
        const t = { at: now + ms, fn, cancelled: false };
        pending.push(t);
        return () => (t.cancelled = true);
      },
    },
    onEvent: (e) => events.push(e),
  });
  const advance = (ms: number) => {
    now += ms;
    for (const t of pending.filter((p) => !p.cancelled && p.at <= now)) {
      t.cancelled = true;
      t.fn();
    }
  };
  return { rooms, events, advance };
}

class Sink implements ParticipantSink {
  got: ServerNotification[] = [];
  ended: LeaveReason | undefined;
  deliver(n: ServerNotification) {
    this.got.push(n);
  }
  end(reason: LeaveReason) {
    this.ended = reason;
  }
  types() {
    return this.got.map((n) => n.type);
  }
}

const grants = (room: string, extra = {}) => ({ room, roomJoin: true, ...extra });
const join = (rooms: RoomService, identity: string, room = 'r', extra = {}) => {
  const sink = new Sink();
  const r = rooms.join({ identity, name: identity, metadata: '', grants: grants(room, extra) }, sink);
  return { ...r, sink };
};

describe('RoomService', () => {
  it('creates a room on first join and reports room_started then participant_joined', () => {
    const { rooms, events } = harness();
    const a = join(rooms, 'a');
    expect(a.room.name).toBe('r');
    expect(events.map((e) => e.type)).toEqual(['room_started', 'participant_joined']);
  });

  it('does not create a room when autoCreate is off', () => {
    const { rooms } = harness({ maxParticipants: 2, emptyTimeout: 10, autoCreate: false });
    expect(() => join(rooms, 'a')).toThrow(expect.objectContaining({ code: 'ROOM_NOT_FOUND' }));
  });

  it('refuses a join whose token names another room or lacks roomJoin', () => {
    const { rooms } = harness();
    expect(() => rooms.join({ identity: 'a', name: 'a', metadata: '', grants: { room: 'r' } }, new Sink())).toThrow(ParleyError);
    expect(() => rooms.join({ identity: 'a', name: 'a', metadata: '', grants: { roomJoin: true } }, new Sink())).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }));
  });

  it('refuses a newcomer to a full room but not a returning identity or a hidden participant', () => {
    const { rooms } = harness();
    join(rooms, 'a');
    const b = join(rooms, 'b');
    expect(() => join(rooms, 'c')).toThrow(expect.objectContaining({ code: 'ROOM_FULL' }));
    const b2 = join(rooms, 'b');
    expect(b.sink.ended).toBe('duplicate_identity');
    expect(b2.room.participants.size).toBe(2);
    const rec = join(rooms, 'rec', 'r', { hidden: true });
    expect(rec.room.participants.size).toBe(3);
    expect(rec.room.info().numParticipants).toBe(2);
  });

  it('hides hidden participants from the others', () => {
    const { rooms } = harness();
    const a = join(rooms, 'a');
    const h = join(rooms, 'h', 'r', { hidden: true });
    rooms.leave(h.participant, 'left');
    expect(a.sink.got).toEqual([]);
  });

  it('closes an empty room after emptyTimeout, and a join cancels the close', () => {
    const { rooms, events, advance } = harness();
    const a = join(rooms, 'a');
    rooms.leave(a.participant, 'left');
    advance(9_000);
    join(rooms, 'b');
    advance(5_000);
    expect(rooms.get('r')).toBeDefined();
    const b = rooms.get('r')!.findByIdentity('b')!;
    rooms.leave(b, 'left');
    advance(10_000);
    expect(rooms.get('r')).toBeUndefined();
    expect(events.at(-1)?.type).toBe('room_finished');
  });

  it('ends tracks when their publisher leaves and reports track_unpublished', () => {
    const { rooms, events } = harness();
    const a = join(rooms, 'a');
    const b = join(rooms, 'b');
    const t = rooms.publishTrack(a.participant, { cid: 'c', kind: 'video', source: 'camera' });
    rooms.leave(a.participant, 'disconnected');
    expect(b.sink.types()).toEqual(['track_published', 'participant_left']);
    expect(events.filter((e) => e.type === 'track_unpublished').map((e) => (e as { track: { sid: string } }).track.sid)).toEqual([t.sid]);
  });

  it('revoking canPublish unpublishes every track, live', () => {
    const { rooms } = harness();
    const a = join(rooms, 'a');
    const b = join(rooms, 'b');
    rooms.publishTrack(a.participant, { cid: 'c', kind: 'video', source: 'camera' });
    rooms.updateParticipant(a.participant, { permissions: { canPublish: false } });
    expect(a.participant.tracks.size).toBe(0);
    expect(b.sink.types()).toEqual(['track_published', 'track_unpublished', 'participant_updated']);
    expect(() => rooms.publishTrack(a.participant, { cid: 'd', kind: 'audio', source: 'microphone' })).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }));
  });

  it('stamps data with the sender and never echoes it back', () => {
    const { rooms } = harness({ maxParticipants: 3, emptyTimeout: 10, autoCreate: true });
    const a = join(rooms, 'a');
    const b = join(rooms, 'b');
    const c = join(rooms, 'c');
    b.sink.got = [];
    c.sink.got = [];
    expect(rooms.sendData(a.room, a.participant, { payload: 1, to: [c.participant.sid] })).toBe(1);
    expect(c.sink.got[0]).toMatchObject({ type: 'data', from: { sid: a.participant.sid, identity: 'a' }, payload: 1 });
    expect(b.sink.got).toEqual([]);
    expect(rooms.sendData(a.room, a.participant, { payload: 2 })).toBe(2);
    expect(a.sink.got.some((n) => n.type === 'data')).toBe(false);
  });

  it('relays signals only inside the room', () => {
    const { rooms } = harness();
    const a = join(rooms, 'a');
    const other = join(rooms, 'x', 'elsewhere');
    expect(() => rooms.relaySignal(a.participant, other.participant.sid, { kind: 'offer', sdp: 'v=0' })).toThrow(expect.objectContaining({ code: 'PARTICIPANT_NOT_FOUND' }));
    expect(() => rooms.relaySignal(a.participant, a.participant.sid, { kind: 'offer', sdp: 'v=0' })).toThrow(expect.objectContaining({ code: 'PARTICIPANT_NOT_FOUND' }));
  });

  it('deleting a room ends every session with room_deleted', async () => {
    const { rooms } = harness();
    const a = join(rooms, 'a');
    await rooms.delete('r');
    expect(a.sink.ended).toBe('room_deleted');
    await expect(rooms.delete('r')).rejects.toMatchObject({ code: 'ROOM_NOT_FOUND' });
  });
});
