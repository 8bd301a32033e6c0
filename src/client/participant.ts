/** Participants of a room: the remote ones (one peer connection each) and the local one. */
import type { ParticipantInfo, Permissions } from '../signaling/protocol.js';
import type { ConnectionQuality, PeerStatsSample } from './quality.js';
import { RemoteTrackPublication, type LocalTrackPublication, type TrackPublication } from './track.js';

const NO_PERMISSIONS: Permissions = { canPublish: false, canSubscribe: false, canPublishData: false, hidden: false, roomAdmin: false };

export abstract class Participant {
  sid = '';
  identity = '';
  name = '';
  metadata = '';
  joinedAt = 0;
  permissions: Permissions = NO_PERMISSIONS;
  /** Connection quality: for a remote, of the peer connection to it; for the local one, the worst of those. */
  connectionQuality: ConnectionQuality = 'unknown';
  abstract readonly isLocal: boolean;
  abstract get tracks(): ReadonlyMap<string, TrackPublication>;

  /** The first publication from `source` (e.g. 'camera'), if any. */
  getTrack(source: TrackPublication['source']): TrackPublication | undefined {
    for (const pub of this.tracks.values()) if (pub.source === source) return pub;
    return undefined;
  }

  /** @internal copies the server's view of identity, name, metadata and permissions. */
  updateInfo(info: ParticipantInfo): void {
    this.sid = info.sid;
    this.identity = info.identity;
    this.name = info.name;
    this.metadata = info.metadata;
    this.joinedAt = info.joinedAt;
    this.permissions = info.permissions;
  }
}

export class RemoteParticipant extends Participant {
  readonly isLocal = false;
  readonly trackPublications = new Map<string, RemoteTrackPublication>();
  /** Latest getStats() summary of the peer connection to this participant. */
  stats: PeerStatsSample | undefined;
  /** Loudest inbound audio level (0..1) at the last stats poll. */
  audioLevel = 0;

  constructor(info: ParticipantInfo) {
    super();
    this.updateInfo(info);
    for (const track of info.tracks) this.trackPublications.set(track.sid, new RemoteTrackPublication(track));
  }

  get tracks(): ReadonlyMap<string, RemoteTrackPublication> {
    return this.trackPublications;
  }

  /** The publication whose cid (the sender's stream id) and kind match arriving media. */
  findByCid(cid: string, kind: string): RemoteTrackPublication | undefined {
    for (const pub of this.trackPublications.values()) if (pub.cid === cid && pub.kind === kind) return pub;
    return undefined;
  }
}

/** Local participant data; publishing lives in LocalParticipant (local-participant.ts). */
export abstract class LocalParticipantBase extends Participant {
  readonly isLocal = true;
  readonly trackPublications = new Map<string, LocalTrackPublication>();

  get tracks(): ReadonlyMap<string, LocalTrackPublication> {
    return this.trackPublications;
  }
}
