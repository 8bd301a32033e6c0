/**
 * Subscription settings of one remote video in an SFU room (`track_settings`): the manual quality
 * the app chose, the size at which the video is displayed, and whether it is paused (the app
 * disabled it, or every element showing it is hidden). Pure: what the app and the page say in,
 * the fields worth sending out. Sizes are reported only when they change noticeably, so a tile
 * being resized does not flood the server.
 */
import type { VideoQuality } from '../../signaling/protocol.js';

/** One element that displays the video, in CSS pixels. */
export interface ElementView {
  width: number;
  height: number;
  /** False when hidden: display:none, zero size, or scrolled out of view. */
  visible: boolean;
}

export interface DisplaySize {
  /** Device pixels (CSS pixels times devicePixelRatio) of the largest visible element. */
  width: number;
  height: number;
  /** Every element showing the video is hidden. */
  hidden: boolean;
}

/** What the SDK sends with `track_settings`; each field only when it changed. */
export interface TrackSettingsFields {
  quality?: VideoQuality;
  width?: number;
  height?: number;
  paused?: boolean;
}

export interface SubscriptionWish {
  quality: VideoQuality;
  /** undefined: the app never showed the video in an element, so nothing is known of its size. */
  display: DisplaySize | undefined;
  /** False when the app disabled the subscription (`publication.setEnabled(false)`). */
  enabled: boolean;
}

/** A relative size change below this is not reported. */
export const SIZE_CHANGE_THRESHOLD = 0.15;

/** The display size from every element showing a video, or undefined when none does. */
export function displaySize(views: readonly ElementView[], devicePixelRatio: number): DisplaySize | undefined {
  if (views.length === 0) return undefined;
  const dpr = devicePixelRatio > 0 ? devicePixelRatio : 1;
  let width = 0;
  let height = 0;
  for (const v of views) {
    if (!v.visible || v.width <= 0 || v.height <= 0) continue;
    width = Math.max(width, Math.round(v.width * dpr));
    height = Math.max(height, Math.round(v.height * dpr));
  }
  return width === 0 ? { width: 0, height: 0, hidden: true } : { width, height, hidden: false };
}

/** The complete settings the server should have for this wish. */
export function desiredSettings(wish: SubscriptionWish): TrackSettingsFields {
  const paused = !wish.enabled || (wish.display?.hidden ?? false);
  const out: TrackSettingsFields = { quality: wish.quality, paused };
  if (wish.display && !wish.display.hidden) {
    out.width = wish.display.width;
    out.height = wish.display.height;
  }
  return out;
}

function sizeChanged(sent: number | undefined, next: number | undefined): boolean {
  if (next === undefined) return false;
  if (sent === undefined || sent === 0) return next !== sent;
  return Math.abs(next - sent) / sent > SIZE_CHANGE_THRESHOLD;
}

/**
 * The fields of `desired` that differ from what was `sent` (undefined: nothing to send). The
 * server starts at quality `auto`, not paused, size unknown; `sent` starts empty.
 */
export function settingsDelta(sent: TrackSettingsFields, desired: TrackSettingsFields): TrackSettingsFields | undefined {
  const delta: TrackSettingsFields = {};
  if (desired.quality !== undefined && desired.quality !== (sent.quality ?? 'auto')) delta.quality = desired.quality;
  if (desired.paused !== undefined && desired.paused !== (sent.paused ?? false)) delta.paused = desired.paused;
  if (sizeChanged(sent.width, desired.width) || sizeChanged(sent.height, desired.height)) {
    if (desired.width !== undefined) delta.width = desired.width;
    if (desired.height !== undefined) delta.height = desired.height;
  }
  return Object.keys(delta).length > 0 ? delta : undefined;
}
