/**
 * Polls getStats() on every peer connection: keeps `participant.stats` current, estimates each
 * remote's connection quality, and works out who is speaking. Emits through the room only on change.
 */
import type { LocalParticipant } from './local-participant.js';
import type { MediaPlane } from './media-plane.js';
import type { Participant, RemoteParticipant } from './participant.js';
import type { ConnectionQuality, PeerStatsSample } from './quality.js';
import { withRates } from './track-stats.js';

export interface StatsTarget {
  readonly participants: ReadonlyMap<string, RemoteParticipant>;
  readonly localParticipant: LocalParticipant;
  emitQuality(quality: ConnectionQuality, p: Participant): void;
  emitSpeakers(speakers: Participant[]): void;
  /** The current media plane (it is chosen when joining). */
  readonly media: MediaPlane;
  /** False in SFU rooms, where the server announces the active speaker. */
  readonly detectSpeakers: boolean;
}

export interface StatsPollerOptions {
  intervalMs: number;
  speakingThreshold: number;
  estimate: (prev: PeerStatsSample | undefined, cur: PeerStatsSample, expectMedia: boolean) => ConnectionQuality;
}

const RANK: Record<ConnectionQuality, number> = { excellent: 4, good: 3, poor: 2, lost: 1, unknown: 5 };

export class StatsPoller {
  readonly #target: StatsTarget;
  readonly #opts: StatsPollerOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;
  #speakers = '';

  constructor(target: StatsTarget, opts: StatsPollerOptions) {
    this.#target = target;
    this.#opts = opts;
  }

  start(): void {
    this.stop();
    this.#timer = setInterval(() => void this.poll(), this.#opts.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async poll(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      await this.#pollAll();
    } finally {
      this.#busy = false;
    }
  }

  async #pollAll(): Promise<void> {
    const remotes = [...this.#target.participants.values()];
    const media = this.#target.media;
    for (const p of remotes) {
      const sample = await media.sample(p.sid).catch(() => undefined);
      if (!sample) continue;
      const prev = p.stats;
      p.stats = sample;
      for (const pub of p.trackPublications.values()) {
        const id = pub.track?.id;
        const cur = id === undefined ? undefined : (sample.tracks ?? []).find((t) => t.trackIdentifier === id);
        pub.stats = cur ? withRates(pub.stats, cur) : undefined;
      }
      const micOn = [...p.trackPublications.values()].some((t) => t.kind === 'audio' && !t.muted);
      p.audioLevel = micOn ? (sample.audioLevel ?? 0) : 0;
      const state = media.connectionState(p.sid);
      const expectMedia = [...p.trackPublications.values()].some((t) => t.subscribed);
      const quality = state === 'failed' || state === 'disconnected' ? 'lost' : this.#opts.estimate(prev, sample, expectMedia);
      if (quality !== p.connectionQuality) {
        p.connectionQuality = quality;
        this.#target.emitQuality(quality, p);
      }
    }
    this.#updateLocalQuality(remotes);
    if (this.#target.detectSpeakers) this.#updateSpeakers(remotes);
  }

  /** The local participant's quality is the worst of its links. */
  #updateLocalQuality(remotes: RemoteParticipant[]): void {
    const local = this.#target.localParticipant;
    let worst: ConnectionQuality = 'unknown';
    for (const p of remotes) if (RANK[p.connectionQuality] < RANK[worst]) worst = p.connectionQuality;
    if (worst !== local.connectionQuality) {
      local.connectionQuality = worst;
      this.#target.emitQuality(worst, local);
    }
  }

  #updateSpeakers(remotes: RemoteParticipant[]): void {
    const speaking = remotes.filter((p) => p.audioLevel > this.#opts.speakingThreshold).sort((a, b) => b.audioLevel - a.audioLevel);
    const key = speaking.map((p) => p.sid).join(',');
    if (key === this.#speakers) return;
    this.#speakers = key;
    this.#target.emitSpeakers(speaking);
  }
}
