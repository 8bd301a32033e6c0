/**
 * A media worker thread: one SfuService for the rooms the main thread placed here. Participants
 * and rooms are proxies (types.ts) kept up to date from the room events the main thread forwards;
 * notifications for clients go back to the main thread, which owns the signaling sessions.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { ParleyError } from '../core/errors.js';
import { createLogger } from '../observability/logger.js';
import type { ParticipantInfo, Permissions, ServerNotification, TrackInfo } from '../signaling/protocol.js';
import { SfuService } from './sfu-service.js';
import type { MediaParticipant, MediaRoom } from './types.js';
import type { FromMediaWorker, MediaWorkerInit, ToMediaWorker } from './worker-protocol.js';

const init = workerData as MediaWorkerInit;
const port = parentPort;
if (!port) throw new Error('sfu/worker.ts must run in a worker thread');
const post = (m: FromMediaWorker): void => port.postMessage(m);

class ProxyParticipant implements MediaParticipant {
  readonly sid: string;
  readonly identity: string;
  permissions: Permissions;
  readonly tracks = new Map<string, TrackInfo>();
  readonly sink = { deliver: (notification: ServerNotification): void => post({ t: 'deliver', participantSid: this.sid, notification }) };

  constructor(info: ParticipantInfo) {
    this.sid = info.sid;
    this.identity = info.identity;
    this.permissions = info.permissions;
    for (const t of info.tracks) this.tracks.set(t.sid, t);
  }
}

class ProxyRoom implements MediaRoom {
  constructor(
    readonly sid: string,
    readonly name: string,
  ) {}
  broadcast(notification: ServerNotification): void {
    post({ t: 'broadcast', roomSid: this.sid, notification });
  }
}

const logger = createLogger(init.log).child({ module: 'sfu', worker: init.index, thread: threadId });
const service = new SfuService({
  logger,
  portRange: init.portRange,
  portSlice: { index: init.index, count: init.count },
  publicIp: init.publicIp,
  maxLoad: init.maxLoad,
  native: init.native,
  pumpBatchMs: init.pumpBatchMs,
});
const participants = new Map<string, ProxyParticipant>();
const rooms = new Map<string, ProxyRoom>();

const loadTimer = setInterval(() => post({ t: 'load', load: service.load }), 1000);
post({ t: 'ready' });

function applyEvent(m: Extract<ToMediaWorker, { t: 'event' }>): void {
  const e = m.event;
  const proxy = 'participant' in e ? participants.get(e.participant.sid) : undefined;
  switch (e.type) {
    case 'track_published':
      proxy?.tracks.set(e.track.sid, e.track);
      break;
    case 'track_muted': {
      const track = proxy?.tracks.get(e.track.sid);
      if (track !== undefined) track.muted = e.track.muted;
      break;
    }
    case 'permissions_changed':
      if (proxy !== undefined) proxy.permissions = e.participant.permissions;
      break;
    default:
      break;
  }
  service.onRoomEvent(e);
  if (e.type === 'track_unpublished') proxy?.tracks.delete(e.track.sid);
  if (e.type === 'participant_left') participants.delete(e.participant.sid);
  if (e.type === 'room_finished') rooms.delete(e.room.sid);
}

async function call(m: Extract<ToMediaWorker, { t: 'call' }>): Promise<unknown> {
  const p = participants.get(m.participantSid);
  if (p === undefined) throw new ParleyError('NOT_SFU_ROOM');
  const a = m.args;
  switch (m.method) {
    case 'publisherOffer':
      return service.publisherOffer(p, a[0] as string, a[1] as Array<{ mid: string; trackSid: string }>);
    case 'subscriberAnswer':
      return service.subscriberAnswer(p, a[0] as string);
    case 'candidate':
      return service.candidate(p, a[0] as Parameters<SfuService['candidate']>[1], a[1] as Parameters<SfuService['candidate']>[2]);
    case 'subscribe':
      return service.subscribe(p, a[0] as string, a[1] as boolean);
    case 'trackSettings':
      return service.trackSettings(p, a[0] as string, a[1] as Parameters<SfuService['trackSettings']>[2]);
  }
}

port.on('message', (m: ToMediaWorker) => {
  switch (m.t) {
    case 'attach': {
      let room = rooms.get(m.room.sid);
      if (room === undefined) {
        room = new ProxyRoom(m.room.sid, m.room.name);
        rooms.set(room.sid, room);
      }
      const p = new ProxyParticipant(m.participant);
      participants.set(p.sid, p);
      service.attach(room, p, m.autoSubscribe);
      return;
    }
    case 'event':
      applyEvent(m);
      return;
    case 'call':
      call(m).then(
        (value) => post({ t: 'result', id: m.id, ok: true, value: value ?? null }),
        (err: unknown) => {
          const e = err instanceof ParleyError ? err : new ParleyError('INTERNAL');
          if (!(err instanceof ParleyError)) logger.error({ err, method: m.method }, 'media call failed');
          post({ t: 'result', id: m.id, ok: false, code: e.code, message: e.message });
        },
      );
      return;
    case 'stats':
      post({ t: 'stats', id: m.id, stats: service.snapshot() });
      return;
    case 'close':
      clearInterval(loadTimer);
      void service.close().then(() => post({ t: 'result', id: m.id, ok: true, value: null }));
      return;
  }
});
