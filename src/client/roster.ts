/**
 * Who is in the room and what they publish, kept in step with the server: remote participants,
 * their track publications, and the match between arriving media and publications, in either
 * order: by cid in a P2P mesh (the sender's stream id), by track sid in an SFU room (the server's
 * offer names the track of every m-line). The media plane hears who is present (a P2P mesh opens
 * a peer connection per remote participant).
 */
import type { LeaveReason, ParticipantInfo, TrackInfo } from '../signaling/protocol.js';
import type { EmitRoomEvent } from './events.js';
import type { LocalParticipant } from './local-participant.js';
import { RemoteParticipant } from './participant.js';
import { RemoteTrackPublication, type SubscriptionControl } from './track.js';

/** The part of the media plane that follows who is in the room. */
export interface PresenceSink {
  participantPresent(sid: string): void;
  participantGone(sid: string): void;
}

export interface RosterDeps {
  media: PresenceSink;
  local: LocalParticipant;
  emit: EmitRoomEvent;
  control: SubscriptionControl;
}

/** Media that arrived before its publication was known: matched by cid (P2P) or track sid (SFU). */
interface EarlyMedia {
  cid?: string;
  trackSid?: string;
  track: MediaStreamTrack;
}

export class Roster {
  /** Remote participants by sid. */
  readonly participants = new Map<string, RemoteParticipant>();
  readonly #deps: RosterDeps;
  /** Remote media that arrived before its track_published, by participant sid. */
  readonly #early = new Map<string, EarlyMedia[]>();

  constructor(deps: RosterDeps) {
    this.#deps = deps;
  }

  /** Adds or updates a participant (the local one too); `announce` emits joined/published events. */
  upsert(info: ParticipantInfo, announce: boolean): void {
    const { local, emit, media } = this.#deps;
    if (info.sid === local.sid) {
      local.updateInfo(info);
      // In a mesh the server cannot stop our media: when it revokes canPublish, stop sending.
      if (!info.permissions.canPublish) local.dropPublications();
      emit('participantUpdated', local);
      return;
    }
    const existing = this.participants.get(info.sid);
    if (!existing) {
      const p = new RemoteParticipant({ ...info, tracks: [] });
      this.participants.set(p.sid, p);
      media.participantPresent(p.sid);
      if (announce) emit('participantJoined', p);
      for (const track of info.tracks) this.#addTrack(p, track, announce);
      return;
    }
    existing.updateInfo(info);
    const listed = new Set(info.tracks.map((t) => t.sid));
    for (const pub of [...existing.trackPublications.values()]) if (!listed.has(pub.sid)) this.#removeTrack(existing, pub);
    for (const track of info.tracks) {
      const pub = existing.trackPublications.get(track.sid);
      if (!pub) this.#addTrack(existing, track, true);
      else {
        pub.layers = track.layers;
        this.#setMuted(existing, pub, track.muted);
      }
    }
    emit('participantUpdated', existing);
  }

  remove(sid: string, reason: LeaveReason): void {
    const p = this.participants.get(sid);
    this.#deps.media.participantGone(sid);
    this.#early.delete(sid);
    if (!p) return;
    for (const pub of [...p.trackPublications.values()]) this.#removeTrack(p, pub);
    this.participants.delete(sid);
    this.#deps.emit('participantLeft', p, reason);
  }

  removeAll(reason: LeaveReason): void {
    for (const sid of [...this.participants.keys()]) this.remove(sid, reason);
    this.#early.clear();
  }

  trackPublished(participantSid: string, info: TrackInfo): void {
    const p = this.participants.get(participantSid);
    if (p) this.#addTrack(p, info, true);
  }

  trackUnpublished(participantSid: string, trackSid: string): void {
    const p = this.participants.get(participantSid);
    const pub = p?.trackPublications.get(trackSid);
    if (p && pub) this.#removeTrack(p, pub);
  }

  trackMuted(participantSid: string, trackSid: string, muted: boolean): void {
    if (participantSid === this.#deps.local.sid) {
      this.#deps.local.applyRemoteMute(trackSid, muted);
      return;
    }
    const p = this.participants.get(participantSid);
    const pub = p?.trackPublications.get(trackSid);
    if (p && pub) this.#setMuted(p, pub, muted);
  }

  /** Media arrived on the peer connection to `sid`, sent in the stream whose id is `cid`. */
  remoteMedia(sid: string, track: MediaStreamTrack, cid: string | undefined): void {
    if (cid === undefined) return;
    const p = this.participants.get(sid);
    const pub = p?.findByCid(cid, track.kind);
    if (p && pub) {
      this.#subscribe(p, pub, track);
      return;
    }
    this.#keepEarly(sid, { cid, track });
  }

  /** The remote publication with this track sid, and its participant. */
  findPublication(trackSid: string): { pub: RemoteTrackPublication; participant: RemoteParticipant } | undefined {
    for (const participant of this.participants.values()) {
      const pub = participant.trackPublications.get(trackSid);
      if (pub) return { pub, participant };
    }
    return undefined;
  }

  /** SFU: the subscriber connection now carries `trackSid` of participant `sid`. */
  remoteTrackBySid(sid: string, trackSid: string, track: MediaStreamTrack): void {
    const p = this.participants.get(sid);
    const pub = p?.trackPublications.get(trackSid);
    if (p && pub) this.#subscribe(p, pub, track);
    else this.#keepEarly(sid, { trackSid, track });
  }

  /** SFU: the subscription to `trackSid` ended (unsubscribed, or the server refused it). */
  remoteTrackEnded(sid: string, trackSid: string): void {
    const early = this.#early.get(sid);
    if (early) this.#early.set(sid, early.filter((e) => e.trackSid !== trackSid));
    const p = this.participants.get(sid);
    const pub = p?.trackPublications.get(trackSid);
    const track = pub?.track;
    if (!p || !pub || !track) return;
    pub.setTrack(undefined);
    pub.stats = undefined;
    this.#deps.emit('trackUnsubscribed', track, pub, p);
  }

  #keepEarly(sid: string, media: EarlyMedia): void {
    const early = this.#early.get(sid) ?? [];
    early.push(media);
    this.#early.set(sid, early);
  }

  #setMuted(p: RemoteParticipant, pub: RemoteTrackPublication, muted: boolean): void {
    if (pub.muted === muted) return;
    pub.muted = muted;
    this.#deps.emit(muted ? 'trackMuted' : 'trackUnmuted', pub, p);
  }

  #addTrack(p: RemoteParticipant, info: TrackInfo, announce: boolean): void {
    if (p.trackPublications.has(info.sid)) return;
    const pub = new RemoteTrackPublication(info);
    pub.control = this.#deps.control;
    p.trackPublications.set(pub.sid, pub);
    if (announce) this.#deps.emit('trackPublished', pub, p);
    const early = this.#early.get(p.sid) ?? [];
    const index = early.findIndex((e) => (e.trackSid !== undefined ? e.trackSid === pub.sid : e.cid === pub.cid && e.track.kind === pub.kind));
    const match = early[index];
    if (match) {
      early.splice(index, 1);
      this.#subscribe(p, pub, match.track);
    }
  }

  #removeTrack(p: RemoteParticipant, pub: RemoteTrackPublication): void {
    p.trackPublications.delete(pub.sid);
    const track = pub.track;
    pub.setTrack(undefined);
    if (track) this.#deps.emit('trackUnsubscribed', track, pub, p);
    this.#deps.emit('trackUnpublished', pub, p);
  }

  #subscribe(p: RemoteParticipant, pub: RemoteTrackPublication, track: MediaStreamTrack): void {
    const previous = pub.track;
    if (previous === track) return;
    if (previous) this.#deps.emit('trackUnsubscribed', previous, pub, p);
    pub.setTrack(track);
    this.#deps.emit('trackSubscribed', track, pub, p);
  }
}
