/**
 * The local participant: publishes camera, microphone and screen, mutes and unpublishes. The room
 * injects a host that talks to the server and to the peer connections.
 */
import type { SimulcastLayer, TrackSource } from '../signaling/protocol.js';
import { ParleyClientError } from './errors.js';
import type { OutboundMessage } from './signal-connection.js';
import { LocalParticipantBase } from './participant.js';
import { parsePublishResult } from './responses.js';
import { LocalTrackPublication } from './track.js';

/** What the local participant needs from its room. */
export interface LocalParticipantHost {
  request(message: OutboundMessage): Promise<unknown>;
  /** Extra `publish_track` fields for this track (SFU rooms: the simulcast layers of a camera). */
  publishFields(track: MediaStreamTrack, source: TrackSource): { layers?: SimulcastLayer[] };
  /** Starts sending the publication to every remote. */
  trackPublished(pub: LocalTrackPublication): void;
  /** Stops sending it (renegotiates with every remote). */
  trackUnpublished(pub: LocalTrackPublication): void;
  trackMuteChanged(pub: LocalTrackPublication): void;
}

export interface PublishOptions {
  source?: TrackSource;
  name?: string;
}

export interface CaptureOptions {
  /** Constraints for getUserMedia; `true` means the browser default device. */
  constraints?: MediaTrackConstraints | boolean;
}

export interface ScreenShareOptions {
  /** Also capture tab or system audio when the browser offers it. Default false. */
  audio?: boolean;
}

export class LocalParticipant extends LocalParticipantBase {
  readonly #host: LocalParticipantHost;

  constructor(host: LocalParticipantHost) {
    super();
    this.#host = host;
  }

  /** Publishes any MediaStreamTrack; resolves once the server accepted it. */
  async publishTrack(track: MediaStreamTrack, opts: PublishOptions = {}): Promise<LocalTrackPublication> {
    if (this.sid && !this.permissions.canPublish) throw new ParleyClientError('NO_PERMISSION', 'the token does not allow publishing');
    // Screens keep their resolution under load (text stays legible); frame rate drops instead.
    if (opts.source === 'screen' && track.kind === 'video' && !track.contentHint) track.contentHint = 'detail';
    const stream = new MediaStream([track]);
    const settings = track.getSettings();
    const source = opts.source ?? 'unknown';
    const data = await this.#host.request({
      type: 'publish_track',
      cid: stream.id,
      kind: track.kind === 'audio' ? 'audio' : 'video',
      source,
      ...this.#host.publishFields(track, source),
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      muted: !track.enabled,
      ...(settings.width ? { width: settings.width } : {}),
      ...(settings.height ? { height: settings.height } : {}),
    });
    const pub = new LocalTrackPublication(parsePublishResult(data), track, stream);
    this.trackPublications.set(pub.sid, pub);
    track.addEventListener('ended', () => {
      if (this.trackPublications.get(pub.sid) === pub) void this.unpublishTrack(pub).catch(() => undefined);
    });
    this.#host.trackPublished(pub);
    return pub;
  }

  async publishCamera(opts: CaptureOptions = {}): Promise<LocalTrackPublication> {
    const track = await capture({ video: opts.constraints ?? { width: { ideal: 1280 }, height: { ideal: 720 } } }, 'video');
    return this.#publishOrStop(track, { source: 'camera', name: 'camera' });
  }

  async publishMicrophone(opts: CaptureOptions = {}): Promise<LocalTrackPublication> {
    const track = await capture({ audio: opts.constraints ?? { echoCancellation: true, noiseSuppression: true } }, 'audio');
    return this.#publishOrStop(track, { source: 'microphone', name: 'microphone' });
  }

  /** Shares a screen, window or tab; unpublishes by itself when the user stops sharing. */
  async publishScreen(opts: ScreenShareOptions = {}): Promise<LocalTrackPublication[]> {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: opts.audio ?? false });
    } catch (err) {
      throw new ParleyClientError('MEDIA_UNAVAILABLE', `screen capture failed: ${String(err)}`, err);
    }
    const pubs: LocalTrackPublication[] = [];
    for (const track of stream.getTracks()) {
      const source = track.kind === 'video' ? 'screen' : 'screen_audio';
      pubs.push(await this.#publishOrStop(track, { source, name: source }));
    }
    return pubs;
  }

  /** Stops sending a track; by default also stops the capture. */
  async unpublishTrack(pub: LocalTrackPublication, opts: { stop?: boolean } = {}): Promise<void> {
    if (this.trackPublications.get(pub.sid) !== pub) return;
    this.trackPublications.delete(pub.sid);
    this.#host.trackUnpublished(pub);
    if (opts.stop ?? true) pub.track.stop();
    await this.#host.request({ type: 'unpublish_track', trackSid: pub.sid }).catch(() => undefined);
  }

  /** Mutes (sends black video or silence, without renegotiation) and tells the others. */
  async setTrackMuted(pub: LocalTrackPublication, muted: boolean): Promise<void> {
    if (pub.muted === muted) return;
    pub.muted = muted;
    pub.track.enabled = !muted;
    this.#host.trackMuteChanged(pub);
    await this.#host.request({ type: 'mute_track', trackSid: pub.sid, muted });
  }

  /** @internal the server muted one of our tracks (an admin did): follow without asking back. */
  applyRemoteMute(trackSid: string, muted: boolean): void {
    const pub = this.trackPublications.get(trackSid);
    if (!pub || pub.muted === muted) return;
    pub.muted = muted;
    pub.track.enabled = !muted;
    this.#host.trackMuteChanged(pub);
  }

  /** @internal the server revoked canPublish and unpublished everything: stop sending it. */
  dropPublications(): void {
    for (const pub of [...this.trackPublications.values()]) {
      this.trackPublications.delete(pub.sid);
      this.#host.trackUnpublished(pub);
      pub.track.stop();
    }
  }

  muteTrack(pub: LocalTrackPublication): Promise<void> {
    return this.setTrackMuted(pub, true);
  }

  unmuteTrack(pub: LocalTrackPublication): Promise<void> {
    return this.setTrackMuted(pub, false);
  }

  /** Publishes the microphone the first time, then mutes or unmutes it. */
  async setMicrophoneEnabled(enabled: boolean): Promise<void> {
    await this.#setSourceEnabled('microphone', enabled, () => this.publishMicrophone());
  }

  /** Publishes the camera the first time, then mutes or unmutes it. */
  async setCameraEnabled(enabled: boolean): Promise<void> {
    await this.#setSourceEnabled('camera', enabled, () => this.publishCamera());
  }

  /** Starts or stops screen sharing (stopping unpublishes, as screens are not muted). */
  async setScreenShareEnabled(enabled: boolean): Promise<void> {
    const current = [...this.trackPublications.values()].filter((p) => p.source === 'screen' || p.source === 'screen_audio');
    if (enabled && current.length === 0) await this.publishScreen();
    if (!enabled) for (const pub of current) await this.unpublishTrack(pub);
  }

  isSourceEnabled(source: TrackSource): boolean {
    const pub = this.getTrack(source);
    return pub !== undefined && !pub.muted;
  }

  override getTrack(source: TrackSource): LocalTrackPublication | undefined {
    for (const pub of this.trackPublications.values()) if (pub.source === source) return pub;
    return undefined;
  }

  async #setSourceEnabled(source: TrackSource, enabled: boolean, publish: () => Promise<LocalTrackPublication>): Promise<void> {
    const pub = this.getTrack(source);
    if (pub) await this.setTrackMuted(pub, !enabled);
    else if (enabled) await publish();
  }

  async #publishOrStop(track: MediaStreamTrack, opts: PublishOptions): Promise<LocalTrackPublication> {
    try {
      return await this.publishTrack(track, opts);
    } catch (err) {
      track.stop();
      throw err;
    }
  }
}

async function capture(constraints: MediaStreamConstraints, kind: 'audio' | 'video'): Promise<MediaStreamTrack> {
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia(constraints);
  } catch (err) {
    throw new ParleyClientError('MEDIA_UNAVAILABLE', `cannot capture ${kind}: ${String(err)}`, err);
  }
  const track = stream.getTracks().find((t) => t.kind === kind);
  if (!track) throw new ParleyClientError('MEDIA_UNAVAILABLE', `no ${kind} track captured`);
  return track;
}
