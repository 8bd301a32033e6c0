/**
 * Who is in the room and what they publish, kept in step with the server: remote participants,
 * their track publications, and the match between arriving media and publications (by cid, in
 * either order). Each remote participant gets a peer connection in the mesh while present.
 */
import type { LeaveReason, ParticipantInfo, TrackInfo } from '../signaling/protocol.js';
import type { EmitRoomEvent } from './events.js';
import type { LocalParticipant } from './local-participant.js';
import type { Mesh } from './mesh.js';
import { RemoteParticipant } from './participant.js';
import { RemoteTrackPublication } from './track.js';

export interface RosterDeps {
  mesh: Mesh;
  local: LocalParticipant;
  emit: EmitRoomEvent;
}

export class Roster {
  /** Remote participants by sid. */
  readonly participants = new Map<string, RemoteParticipant>();
  readonly #deps: RosterDeps;
  /** Remote media that arrived before its track_published, by participant sid. */
  readonly #early = new Map<string, { cid: string; track: MediaStreamTrack }[]>();

  constructor(deps: RosterDeps) {
    this.#deps = deps;
  }

  /** Adds or updates a participant (the local one too); `announce` emits joined/published events. */
  upsert(info: ParticipantInfo, announce: boolean): void {
    const { local, emit, mesh } = this.#deps;
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
      mesh.ensure(p.sid);
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
      else this.#setMuted(existing, pub, track.muted);
    }
    emit('participantUpdated', existing);
  }

  remove(sid: string, reason: LeaveReason): void {
    const p = this.participants.get(sid);
    this.#deps.mesh.remove(sid);
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
    const early = this.#early.get(sid) ?? [];
    early.push({ cid, track });
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
    p.trackPublications.set(pub.sid, pub);
    if (announce) this.#deps.emit('trackPublished', pub, p);
    const early = this.#early.get(p.sid) ?? [];
    const index = early.findIndex((e) => e.cid === pub.cid && e.track.kind === pub.kind);
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
