/**
 * Which m-line (mid) of the subscriber connection carries which published track, as the server's
 * `sfu_offer` notifications say (`tracks: [{mid, trackSid, participantSid, kind}]`). Each offer
 * lists every current subscription; comparing it with the previous one tells which subscriptions
 * started and which ended (an m-line is reused, inactive, after its track ends). Pure.
 */
import type { SubscribedTrack } from '../../signaling/protocol.js';

export interface TrackMapChange {
  /** Subscriptions new in this offer (or whose m-line now carries another track). */
  added: SubscribedTrack[];
  /** Subscriptions the previous offer had and this one does not. */
  removed: SubscribedTrack[];
}

export class SubscriberTrackMap {
  readonly #byMid = new Map<string, SubscribedTrack>();

  /** Replaces the map with an offer's list. */
  update(tracks: readonly SubscribedTrack[]): TrackMapChange {
    const next = new Map<string, SubscribedTrack>();
    for (const t of tracks) next.set(t.mid, t);
    const removed: SubscribedTrack[] = [];
    const added: SubscribedTrack[] = [];
    for (const [mid, old] of this.#byMid) {
      const now = next.get(mid);
      if (!now || now.trackSid !== old.trackSid) removed.push(old);
    }
    for (const [mid, now] of next) {
      const old = this.#byMid.get(mid);
      if (!old || old.trackSid !== now.trackSid) added.push(now);
    }
    this.#byMid.clear();
    for (const [mid, t] of next) this.#byMid.set(mid, t);
    return { added, removed };
  }

  byMid(mid: string | null | undefined): SubscribedTrack | undefined {
    return mid === null || mid === undefined ? undefined : this.#byMid.get(mid);
  }

  byTrackSid(trackSid: string): SubscribedTrack | undefined {
    for (const t of this.#byMid.values()) if (t.trackSid === trackSid) return t;
    return undefined;
  }

  /** The mids carrying `participantSid`'s tracks. */
  midsOf(participantSid: string): Set<string> {
    const out = new Set<string>();
    for (const t of this.#byMid.values()) if (t.participantSid === participantSid) out.add(t.mid);
    return out;
  }

  get size(): number {
    return this.#byMid.size;
  }

  clear(): void {
    this.#byMid.clear();
  }
}
