/** Published tracks as the SDK sees them: the server's TrackInfo plus the media, when present. */
import type { SimulcastLayer, TrackInfo, TrackKind, TrackSource, VideoQuality } from '../signaling/protocol.js';
import type { InboundTrackStats } from './track-stats.js';

export abstract class TrackPublication {
  sid: string;
  readonly cid: string;
  readonly kind: TrackKind;
  readonly source: TrackSource;
  name: string;
  muted: boolean;
  /** SFU rooms: the simulcast layers the publisher sends, lowest first. */
  layers: SimulcastLayer[] | undefined;

  constructor(info: TrackInfo) {
    this.sid = info.sid;
    this.layers = info.layers;
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

/**
 * What a remote publication asks of the room to change its subscription (SFU rooms: `subscribe`
 * and `track_settings`; in P2P rooms every track is always received and these do nothing).
 */
export interface SubscriptionControl {
  setSubscribed(pub: RemoteTrackPublication, subscribed: boolean): Promise<void>;
  settingsChanged(pub: RemoteTrackPublication): void;
}

/** A track a remote participant publishes; `track` is set once its media arrives (subscribed). */
export class RemoteTrackPublication extends TrackPublication {
  #track: MediaStreamTrack | undefined;
  #quality: VideoQuality = 'auto';
  #enabled = true;
  /** @internal set by the room. */
  control: SubscriptionControl | undefined;
  /** Receive statistics of the media, refreshed with the room's stats poll (undefined until then). */
  stats: InboundTrackStats | undefined;

  get track(): MediaStreamTrack | undefined {
    return this.#track;
  }

  get subscribed(): boolean {
    return this.#track !== undefined;
  }

  /** The manual quality (SFU video): `auto` follows bandwidth and the displayed size. */
  get videoQuality(): VideoQuality {
    return this.#quality;
  }

  /** False after `setEnabled(false)`: the server pauses this video for us without unsubscribing. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** SFU video: asks for the low, medium or high simulcast layer, or `auto`. */
  setVideoQuality(quality: VideoQuality): void {
    if (this.#quality === quality) return;
    this.#quality = quality;
    this.control?.settingsChanged(this);
  }

  /** SFU: pauses (false) or resumes the forwarding of this track to us, without renegotiating. */
  setEnabled(enabled: boolean): void {
    if (this.#enabled === enabled) return;
    this.#enabled = enabled;
    this.control?.settingsChanged(this);
  }

  /** SFU: subscribes to this track or unsubscribes from it (`subscribe` request). */
  async setSubscribed(subscribed: boolean): Promise<void> {
    await this.control?.setSubscribed(this, subscribed);
  }

  /** @internal */
  setTrack(track: MediaStreamTrack | undefined): void {
    this.#track = track;
  }
}
