/** Published tracks as the SDK sees them: the server's TrackInfo plus the media, when present. */
import type { TrackInfo, TrackKind, TrackSource } from '../signaling/protocol.js';

export abstract class TrackPublication {
  sid: string;
  readonly cid: string;
  readonly kind: TrackKind;
  readonly source: TrackSource;
  name: string;
  muted: boolean;

  constructor(info: TrackInfo) {
    this.sid = info.sid;
    this.cid = info.cid;
    this.kind = info.kind;
    this.source = info.source;
    this.name = info.name;
    this.muted = info.muted;
  }

  abstract get track(): MediaStreamTrack | undefined;
}

/** A track this client publishes. `stream.id` is the publication's cid, which remotes match on. */
export class LocalTrackPublication extends TrackPublication {
  readonly stream: MediaStream;
  #track: MediaStreamTrack;

  constructor(info: TrackInfo, track: MediaStreamTrack, stream: MediaStream) {
    super(info);
    this.#track = track;
    this.stream = stream;
  }

  get track(): MediaStreamTrack {
    return this.#track;
  }

  /** @internal swaps the media (e.g. a new camera) without renegotiating. */
  setTrack(track: MediaStreamTrack): void {
    this.stream.removeTrack(this.#track);
    this.stream.addTrack(track);
    this.#track = track;
  }
}

/** A track a remote participant publishes; `track` is set once its media arrives (subscribed). */
export class RemoteTrackPublication extends TrackPublication {
  #track: MediaStreamTrack | undefined;

  get track(): MediaStreamTrack | undefined {
    return this.#track;
  }

  get subscribed(): boolean {
    return this.#track !== undefined;
  }

  /** @internal */
  setTrack(track: MediaStreamTrack | undefined): void {
    this.#track = track;
  }
}
