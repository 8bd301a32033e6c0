/**
 * One track a participant publishes in an SFU room: the incoming RTP of each of its simulcast
 * layers (werift delivers one IncomingTrack per rid) goes into one TrackFanout, which offers it to
 * every subscriber's DownTrack. Audio tracks also feed the room's active speaker detector.
 */
import type { IncomingTrack, MediaKind } from '../media/engine/transport.js';
import { codecFromMime, type VideoCodec } from '../media/rtp/keyframe.js';
import { parseRtpHeader } from '../media/rtp/header.js';
import { readAudioLevel } from '../media/rtp/extensions.js';
import { CANONICAL_EXT_IDS } from '../media/engine/transport.js';
import { layerFromRid, TrackFanout, type Clock, type LayerInfo } from '../media/forwarding/index.js';
import type { SimulcastLayer, TrackInfo } from '../signaling/protocol.js';

export interface PublishedTrackOptions {
  readonly info: TrackInfo;
  readonly participantSid: string;
  readonly kind: MediaKind;
  readonly mimeType: string;
  readonly clock: Clock;
  readonly sendPli: (mediaSsrc: number) => void;
  readonly onAudioLevel: (participantSid: string, level: number) => void;
}

/** Layer sizes when the publisher announced none: one layer of unknown size. */
const SINGLE_LAYER: readonly SimulcastLayer[] = [{ rid: '', width: 0, height: 0 }];

export class PublishedTrack {
  readonly sid: string;
  readonly participantSid: string;
  readonly kind: MediaKind;
  readonly mimeType: string;
  readonly codec: VideoCodec | undefined;
  readonly fanout: TrackFanout;
  private readonly layersAnnounced: readonly SimulcastLayer[];
  private readonly unsubscribers: Array<() => void> = [];
  private readonly incoming: IncomingTrack[] = [];
  private readonly onAudioLevel: (participantSid: string, level: number) => void;
  muted: boolean;
  packetsIn = 0;

  constructor(opts: PublishedTrackOptions) {
    this.sid = opts.info.sid;
    this.participantSid = opts.participantSid;
    this.kind = opts.kind;
    this.mimeType = opts.mimeType;
    this.muted = opts.info.muted;
    this.codec = opts.kind === 'video' ? codecFromMime(opts.mimeType) : undefined;
    this.layersAnnounced = opts.info.layers ?? SINGLE_LAYER;
    this.onAudioLevel = opts.onAudioLevel;
    this.fanout = new TrackFanout({ clock: opts.clock, ...(this.codec !== undefined ? { codec: this.codec } : {}), sendPli: opts.sendPli });
  }

  get simulcast(): boolean {
    return this.layersAnnounced.length > 1;
  }

  /** Highest layer index the publisher announced. */
  get topLayer(): number {
    return this.layersAnnounced.length - 1;
  }

  /** Connects one incoming werift track (one simulcast layer) to the fan-out. */
  attach(track: IncomingTrack): void {
    const order = this.layersAnnounced.map((l) => l.rid);
    const layer = this.simulcast ? layerFromRid(track.rid, order) : 0;
    const audio = this.kind === 'audio';
    this.incoming.push(track);
    this.unsubscribers.push(
      track.onRtp((packet) => {
        this.packetsIn++;
        if (audio) this.readLevel(packet);
        this.fanout.writeRtp(packet, layer);
      }),
    );
  }

  /** The publisher's layers with their measured bitrate and activity, for layer selection. */
  layers(): LayerInfo[] {
    return this.fanout.layers.describe(this.layersAnnounced);
  }

  /** Of `packetsIn`, those that skipped the media engine's receive chain (ADR 0010). */
  get packetsInFast(): number {
    let n = 0;
    for (const t of this.incoming) n += t.fastPackets ?? 0;
    return n;
  }

  /** The publisher's SSRCs known so far (one per layer). */
  ssrcs(): number[] {
    return this.incoming.map((t) => t.ssrc).filter((ssrc) => ssrc !== 0);
  }

  /**
   * The layer to forward for a manual choice: the one asked for when the publisher sends it,
   * else the nearest one it does send below it, else above (a browser short of uplink bandwidth
   * drops its upper layers; waiting for one it does not send would leave the video black).
   */
  layerForManualQuality(quality: 'low' | 'medium' | 'high'): number {
    const wanted = this.layerForQuality(quality);
    const layers = this.layers();
    if (layers[wanted]?.active !== false) return wanted;
    for (let i = wanted - 1; i >= 0; i--) if (layers[i]?.active === true) return i;
    for (let i = wanted + 1; i < layers.length; i++) if (layers[i]?.active === true) return i;
    return wanted;
  }

  /** Layer index for a manual quality choice. */
  layerForQuality(quality: 'low' | 'medium' | 'high'): number {
    const top = this.topLayer;
    return quality === 'low' ? 0 : quality === 'medium' ? Math.min(1, top) : top;
  }

  close(): void {
    for (const u of this.unsubscribers.splice(0)) u();
  }

  private readLevel(packet: Buffer): void {
    const header = parseRtpHeader(packet);
    if (header === undefined) return;
    const level = readAudioLevel(packet, header, CANONICAL_EXT_IDS.audioLevel);
    if (level !== undefined) this.onAudioLevel(this.participantSid, level.level);
  }
}
