/**
 * Media in worker threads: each worker runs an SfuService; a room lives on one worker (all its
 * forwarding is local to that thread), placed when its first participant attaches on the worker
 * with the lowest event-loop load, then the fewest peers. Signaling stays on the main thread:
 * calls go to the participant's worker and come back as results; the worker's notifications come
 * back as `deliver`/`broadcast` messages for the sessions. Admission control runs in each worker
 * on its own load (sfu-service.ts), so a saturated worker refuses subscriptions while the others
 * keep accepting rooms.
 */
import { Worker } from 'node:worker_threads';
import { ParleyError, ERRORS, type ErrorCode } from '../core/errors.js';
import type { RoomEvent } from '../core/room-service.js';
import type { Logger } from '../observability/logger.js';
import type { IceCandidateInit, SfuTarget } from '../signaling/protocol.js';
import { NO_PUMP, type MediaPlane, type PumpCounters, type SfuStats, type TrackSettingsInput } from './media-plane.js';
import type { MediaParticipant, MediaRoom } from './types.js';
import type { FromMediaWorker, MediaCall, MediaWorkerInit, ToMediaWorker } from './worker-protocol.js';

interface WorkerSlot {
  readonly index: number;
  readonly worker: Worker;
  load: number;
  peers: number;
  readonly rooms: Set<string>;
  alive: boolean;
  readonly ready: Promise<void>;
  markReady: () => void;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

/** Start a media worker; from TypeScript sources (tests, `npm run dev`) through tsx's loader. */
function startWorker(workerData: MediaWorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const url = new URL('./worker.ts', import.meta.url).href;
  const boot = `(async () => { const { register } = await import('tsx/esm/api'); register(); await import(${JSON.stringify(url)}); })();`;
  return new Worker(boot, { eval: true, workerData });
}

export class WorkerMediaPlane implements MediaPlane {
  private readonly slots: WorkerSlot[] = [];
  private readonly roomSlot = new Map<string, WorkerSlot>();
  private readonly peerSlot = new Map<string, WorkerSlot>();
  private readonly participants = new Map<string, MediaParticipant>();
  private readonly rooms = new Map<string, MediaRoom>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly count: number,
    private readonly init: Omit<MediaWorkerInit, 'index' | 'count'>,
    private readonly logger: Logger,
  ) {
    for (let index = 0; index < count; index++) this.slots.push(this.spawn(index));
  }

  private spawn(index: number): WorkerSlot {
    const worker = startWorker({ ...this.init, index, count: this.count });
    let markReady = (): void => undefined;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const slot: WorkerSlot = { index, worker, load: 0, peers: 0, rooms: new Set(), alive: true, ready, markReady };
    worker.on('message', (m: FromMediaWorker) => this.onMessage(slot, m));
    worker.on('error', (err) => this.logger.error({ err, worker: index }, 'media worker failed'));
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  /** Media workers running now (a crashed one counts until its replacement is ready). */
  get workers(): readonly Worker[] {
    return this.slots.filter((s) => s.alive).map((s) => s.worker);
  }

  /** Resolves when every worker has loaded; rejects after `timeoutMs` or when one exits first. */
  async ready(timeoutMs = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ParleyError('INTERNAL', `media workers did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const exited = this.slots.map(
      (slot) =>
        new Promise<never>((_, reject) => slot.worker.once('exit', (code) => reject(new ParleyError('INTERNAL', `media worker ${slot.index} exited with code ${code} while starting`)))),
    );
    try {
      await Promise.race([Promise.all(this.slots.map((s) => s.ready)), timeout, ...exited]);
    } finally {
      clearTimeout(timer);
    }
  }

  attach(room: MediaRoom, participant: MediaParticipant, autoSubscribe: boolean): void {
    const slot = this.roomSlot.get(room.sid) ?? this.place(room);
    this.participants.set(participant.sid, participant);
    this.rooms.set(room.sid, room);
    this.peerSlot.set(participant.sid, slot);
    slot.peers++;
    const info = { sid: participant.sid, identity: participant.identity, name: '', metadata: '', joinedAt: 0, permissions: { ...participant.permissions }, tracks: [...participant.tracks.values()].map((t) => ({ ...t })) };
    this.send(slot, { t: 'attach', room: { sid: room.sid, name: room.name }, participant: info, autoSubscribe });
  }

  publisherOffer(p: MediaParticipant, sdp: string, tracks: ReadonlyArray<{ mid: string; trackSid: string }>): Promise<string> {
    for (const t of tracks) {
      if (!p.tracks.has(t.trackSid)) return Promise.reject(new ParleyError('TRACK_NOT_FOUND', `track ${t.trackSid} is not published by this participant`));
    }
    return this.call(p, 'publisherOffer', [sdp, tracks]) as Promise<string>;
  }

  async subscriberAnswer(p: MediaParticipant, sdp: string): Promise<void> {
    await this.call(p, 'subscriberAnswer', [sdp]);
  }

  async candidate(p: MediaParticipant, target: SfuTarget, candidate: IceCandidateInit | null): Promise<void> {
    await this.call(p, 'candidate', [target, candidate]);
  }

  async subscribe(p: MediaParticipant, trackSid: string, subscribe: boolean): Promise<void> {
    await this.call(p, 'subscribe', [trackSid, subscribe]);
  }

  async trackSettings(p: MediaParticipant, trackSid: string, input: TrackSettingsInput): Promise<void> {
    await this.call(p, 'trackSettings', [trackSid, input]);
  }

  onRoomEvent(event: RoomEvent): void {
    if (event.type === 'room_finished') {
      const slot = this.roomSlot.get(event.room.sid);
      if (slot === undefined) return;
      this.roomSlot.delete(event.room.sid);
      this.rooms.delete(event.room.sid);
      slot.rooms.delete(event.room.sid);
      this.send(slot, { t: 'event', event });
      return;
    }
    if (!('participant' in event)) return;
    const slot = this.peerSlot.get(event.participant.sid);
    if (slot === undefined) return;
    this.send(slot, { t: 'event', event });
    if (event.type === 'participant_left') {
      this.peerSlot.delete(event.participant.sid);
      this.participants.delete(event.participant.sid);
      slot.peers--;
    }
  }

  async stats(): Promise<SfuStats> {
    const all = await Promise.all(
      this.slots.filter((s) => s.alive).map((slot) => this.request(slot, (id) => ({ t: 'stats', id })) as Promise<SfuStats>),
    );
    const total: SfuStats = {
      rooms: 0, peers: 0, publishedTracks: 0, subscriptions: 0, packetsIn: 0, packetsInFast: 0, packetsOut: 0, load: 0,
      counters: { packetsOutEnded: 0, dataRelayed: 0, dataDropped: 0, subscriptionsRefused: 0 },
      pump: { ...NO_PUMP },
      workers: [],
    };
    for (const s of all) {
      total.rooms += s.rooms;
      total.peers += s.peers;
      total.publishedTracks += s.publishedTracks;
      total.subscriptions += s.subscriptions;
      total.packetsIn += s.packetsIn;
      total.packetsInFast += s.packetsInFast;
      total.packetsOut += s.packetsOut;
      total.counters.packetsOutEnded += s.counters.packetsOutEnded;
      total.load = Math.max(total.load, s.load);
      total.counters.dataRelayed += s.counters.dataRelayed;
      total.counters.dataDropped += s.counters.dataDropped;
      total.counters.subscriptionsRefused += s.counters.subscriptionsRefused;
      for (const key of Object.keys(total.pump) as Array<keyof PumpCounters>) total.pump[key] += s.pump[key];
      total.workers.push({ rooms: s.rooms, peers: s.peers, load: s.load });
    }
    return total;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(
      this.slots.map(async (slot) => {
        if (slot.alive) await Promise.race([this.request(slot, (id) => ({ t: 'close', id })), new Promise((r) => setTimeout(r, 3000).unref())]);
        await slot.worker.terminate();
      }),
    );
  }

  /**
   * The worker with the lowest load, then the fewest peers. Loads are compared in quarters: an
   * event loop's utilisation moves by several percent from second to second at rest, so between
   * lightly loaded workers the peer count decides.
   */
  private place(room: MediaRoom): WorkerSlot {
    const alive = this.slots.filter((s) => s.alive);
    const step = (load: number): number => Math.floor(load * 4);
    const best = alive.sort((a, b) => step(a.load) - step(b.load) || a.peers - b.peers)[0];
    if (best === undefined) throw new ParleyError('MEDIA_OVERLOADED', 'no media worker is running');
    this.roomSlot.set(room.sid, best);
    best.rooms.add(room.sid);
    this.logger.debug({ room: room.name, worker: best.index, load: best.load }, 'room placed on media worker');
    return best;
  }

  private call(p: MediaParticipant, method: MediaCall, args: unknown[]): Promise<unknown> {
    const slot = this.peerSlot.get(p.sid);
    if (slot === undefined) return Promise.reject(new ParleyError('NOT_SFU_ROOM'));
    return this.request(slot, (id) => ({ t: 'call', id, method, participantSid: p.sid, args }));
  }

  private request(slot: WorkerSlot, message: (id: number) => ToMediaWorker): Promise<unknown> {
    if (!slot.alive) return Promise.reject(new ParleyError('MEDIA_OVERLOADED', 'the media worker of this room stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send(slot, message(id));
    });
  }

  private send(slot: WorkerSlot, m: ToMediaWorker): void {
    if (slot.alive) slot.worker.postMessage(m);
  }

  private onMessage(slot: WorkerSlot, m: FromMediaWorker): void {
    switch (m.t) {
      case 'result':
      case 'stats': {
        const p = this.pending.get(m.id);
        if (p === undefined) return;
        this.pending.delete(m.id);
        if (m.t === 'stats') p.resolve(m.stats);
        else if (m.ok) p.resolve(m.value);
        else p.reject(new ParleyError(m.code in ERRORS ? (m.code as ErrorCode) : 'INTERNAL', m.message));
        return;
      }
      case 'deliver':
        this.participants.get(m.participantSid)?.sink.deliver(m.notification);
        return;
      case 'broadcast':
        this.rooms.get(m.roomSid)?.broadcast(m.notification);
        return;
      case 'load':
        slot.load = m.load;
        return;
      case 'ready':
        slot.markReady();
        return;
    }
  }

  /**
   * A worker died (a crash, an out-of-memory kill): its rooms lost their media. A replacement
   * starts on the same port slice; the rooms are placed again on their next attach, and every
   * participant that was on the dead worker gets `media_reset`, on which the SDK joins again (its
   * connections went with the worker), which attaches it on a running worker.
   */
  private onExit(slot: WorkerSlot, code: number): void {
    slot.alive = false;
    if (this.closed) return;
    this.logger.error({ worker: slot.index, code, rooms: slot.rooms.size, peers: slot.peers }, 'media worker exited; restarting it and resetting its participants');
    // requests are not tracked per slot: fail them all rather than leave a caller hanging
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new ParleyError('MEDIA_OVERLOADED', 'the media worker of this room stopped'));
    }
    for (const roomSid of slot.rooms) this.roomSlot.delete(roomSid);
    const orphans: MediaParticipant[] = [];
    for (const [sid, s] of this.peerSlot) {
      if (s !== slot) continue;
      this.peerSlot.delete(sid);
      const participant = this.participants.get(sid);
      this.participants.delete(sid);
      if (participant !== undefined) orphans.push(participant);
    }
    const replacement = this.spawn(slot.index);
    this.slots[this.slots.indexOf(slot)] = replacement;
    void replacement.ready.then(() => {
      this.logger.info({ worker: slot.index, reset: orphans.length }, 'media worker restarted');
      for (const p of orphans) p.sink.deliver({ type: 'media_reset', reason: 'media_worker_failed' });
    });
  }
}
