/**
 * Simulcast for SFU rooms: which encodings a published camera is sent in (rids q, h, f at a
 * quarter, half and full resolution, lowest first), as `sendEncodings` for the browser and as the
 * `layers` of `publish_track` for the server. Pure: the capture size in, the plan out.
 */
import type { SimulcastLayer, VideoQuality } from '../../signaling/protocol.js';

export interface SimulcastPlan {
  /** For `addTransceiver(track, { sendEncodings })`, in the same order as `layers`. */
  encodings: RTCRtpEncodingParameters[];
  /** For `publish_track {layers}`, lowest first. */
  layers: SimulcastLayer[];
}

/** rid and downscale factor of every layer a publisher may send, lowest first. */
export const SIMULCAST_RIDS = [
  { rid: 'q', scale: 4 },
  { rid: 'h', scale: 2 },
  { rid: 'f', scale: 1 },
] as const;

/** Short side (px) from which three layers are sent; from MIN_TWO_LAYERS two (h and f); below, none. */
export const MIN_THREE_LAYERS = 540;
export const MIN_TWO_LAYERS = 360;

/** A bitrate ceiling for a layer of this size: about 1.85 bits per pixel per second, 80 kbps to 3 Mbps. */
export function layerBitrate(width: number, height: number): number {
  return Math.min(3_000_000, Math.max(80_000, Math.round((width * height * 1.85) / 1000) * 1000));
}

/**
 * The simulcast layers for a capture of `width` x `height`, or undefined when it is too small to
 * be worth splitting (the track is then sent as one encoding and announced without layers).
 */
export function simulcastPlan(width: number | undefined, height: number | undefined): SimulcastPlan | undefined {
  if (!width || !height) return undefined;
  const short = Math.min(width, height);
  const rids = short >= MIN_THREE_LAYERS ? SIMULCAST_RIDS : short >= MIN_TWO_LAYERS ? SIMULCAST_RIDS.slice(1) : [];
  if (rids.length === 0) return undefined;
  const layers: SimulcastLayer[] = [];
  const encodings: RTCRtpEncodingParameters[] = [];
  for (const { rid, scale } of rids) {
    const w = Math.round(width / scale);
    const h = Math.round(height / scale);
    const maxBitrate = layerBitrate(w, h);
    layers.push({ rid, width: w, height: h, maxBitrate });
    encodings.push({ rid, scaleResolutionDownBy: scale, maxBitrate, active: true });
  }
  return { encodings, layers };
}

/**
 * The quality name of the layer a subscriber decodes now, from the decoded frame width and the
 * publisher's layers (lowest first): the nearest layer by width. With three layers they are
 * low/medium/high; with two, low/high.
 */
export function layerOfWidth(layers: readonly SimulcastLayer[] | undefined, frameWidth: number): { rid: string; quality: Exclude<VideoQuality, 'auto'> } | undefined {
  if (!layers || layers.length === 0 || frameWidth <= 0) return undefined;
  let best = 0;
  for (let i = 1; i < layers.length; i++) {
    const layer = layers[i];
    const current = layers[best];
    if (layer && current && Math.abs(layer.width - frameWidth) < Math.abs(current.width - frameWidth)) best = i;
  }
  const names: Exclude<VideoQuality, 'auto'>[] = layers.length >= 3 ? ['low', 'medium', 'high'] : layers.length === 2 ? ['low', 'high'] : ['high'];
  const layer = layers[best];
  const quality = names[best];
  return layer && quality ? { rid: layer.rid, quality } : undefined;
}
