/**
 * Dominant speaker from RFC 6464 audio levels: per participant loudness averaged over a window
 * (missing packets during DTX count as silence), a challenger takes over only when louder by a
 * hysteresis margin and after the current speaker held the floor for a minimum dwell time.
 */
import type { Clock } from './clock.js';

export interface ActiveSpeakerOptions {
  readonly clock: Clock;
  /** Averaging window (default 1000 ms). */
  readonly windowMs?: number;
  /** Audio packet interval used to count expected samples (default 20 ms). */
  readonly packetIntervalMs?: number;
  /** Levels at or above this -dBov value are silence (default 60, i.e. -60 dBov). */
  readonly silenceLevel?: number;
  /** Minimum average loudness to be a speaker at all (default 10 on the 0..127 scale). */
  readonly minScore?: number;
  /** A challenger must be louder than the current speaker by this much (default 6). */
  readonly hysteresis?: number;
  /** Minimum time between two changes (default 1000 ms). */
  readonly minDwellMs?: number;
}

export interface SpeakerChange {
  readonly speaker: string | undefined;
  readonly previous: string | undefined;
}

interface Sample {
  readonly at: number;
  readonly loudness: number;
}

export class ActiveSpeakerDetector {
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly expectedSamples: number;
  private readonly silenceLevel: number;
  private readonly minScore: number;
  private readonly hysteresis: number;
  private readonly minDwellMs: number;
  private readonly samples = new Map<string, Sample[]>();
  private current: string | undefined;
  private changedAt = Number.NEGATIVE_INFINITY;

  constructor(opts: ActiveSpeakerOptions) {
    this.clock = opts.clock;
    this.windowMs = opts.windowMs ?? 1000;
    this.expectedSamples = Math.max(1, this.windowMs / (opts.packetIntervalMs ?? 20));
    this.silenceLevel = opts.silenceLevel ?? 60;
    this.minScore = opts.minScore ?? 10;
    this.hysteresis = opts.hysteresis ?? 6;
    this.minDwellMs = opts.minDwellMs ?? 1000;
  }

  get speaker(): string | undefined {
    return this.current;
  }

  /** One audio packet's level (0 loudest .. 127 silent) for a participant. */
  addLevel(participantId: string, level: number): void {
    const loudness = level >= this.silenceLevel ? 0 : 127 - level;
    let list = this.samples.get(participantId);
    if (list === undefined) {
      list = [];
      this.samples.set(participantId, list);
    }
    list.push({ at: this.clock(), loudness });
  }

  remove(participantId: string): SpeakerChange | undefined {
    this.samples.delete(participantId);
    if (this.current !== participantId) return undefined;
    this.current = undefined;
    this.changedAt = this.clock();
    return { speaker: undefined, previous: participantId };
  }

  /** Average loudness over the window, 0..127. */
  score(participantId: string): number {
    const list = this.samples.get(participantId);
    if (list === undefined) return 0;
    const from = this.clock() - this.windowMs;
    while (list.length > 0 && (list[0]?.at ?? 0) < from) list.shift();
    let sum = 0;
    for (const s of list) sum += s.loudness;
    return sum / Math.max(this.expectedSamples, list.length);
  }

  /** Call periodically (e.g. every 100-300 ms); returns a change to announce, if any. */
  update(): SpeakerChange | undefined {
    const now = this.clock();
    if (now - this.changedAt < this.minDwellMs) return undefined;
    let best: string | undefined;
    let bestScore = 0;
    for (const id of this.samples.keys()) {
      const s = this.score(id);
      if (s > bestScore) {
        best = id;
        bestScore = s;
      }
    }
    const candidate = bestScore >= this.minScore ? best : undefined;
    if (candidate === this.current) return undefined;
    const currentScore = this.current === undefined ? 0 : this.score(this.current);
    if (candidate !== undefined && this.current !== undefined && currentScore >= this.minScore) {
      if (bestScore < currentScore + this.hysteresis) return undefined;
    }
    const previous = this.current;
    this.current = candidate;
    this.changedAt = now;
    return { speaker: candidate, previous };
  }
}
