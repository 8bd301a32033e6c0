/**
 * Finds the <video> elements that show each subscribed remote video (whatever attached them: the
 * app sets `srcObject` to a stream holding the track) and reports the size they are displayed at
 * and whether all of them are hidden, so the server can send a layer that fits and pause hidden
 * tiles. Elements are found by a scan once a second and watched with a ResizeObserver in between;
 * the decision from their sizes is `displaySize` (settings.ts).
 */
import { displaySize, type DisplaySize, type ElementView } from './settings.js';

export const SCAN_INTERVAL_MS = 1000;

export class AdaptiveStream {
  readonly #tracks = new Map<string, MediaStreamTrack>();
  readonly #last = new Map<string, string>();
  readonly #observed = new Set<Element>();
  readonly #onChange: (trackSid: string, size: DisplaySize | undefined) => void;
  readonly #resize: ResizeObserver | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #scheduled = false;

  constructor(onChange: (trackSid: string, size: DisplaySize | undefined) => void) {
    this.#onChange = onChange;
    this.#resize = typeof ResizeObserver === 'function' ? new ResizeObserver(() => this.#schedule()) : undefined;
  }

  /** Starts following where `track` (the video of `trackSid`) is shown. */
  watch(trackSid: string, track: MediaStreamTrack): void {
    this.#tracks.set(trackSid, track);
    this.#timer ??= setInterval(() => this.scan(), SCAN_INTERVAL_MS);
    this.#schedule();
  }

  unwatch(trackSid: string): void {
    this.#tracks.delete(trackSid);
    this.#last.delete(trackSid);
    if (this.#tracks.size === 0) this.close();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#resize?.disconnect();
    this.#observed.clear();
  }

  /** Measures every watched track now and reports the ones whose display changed. */
  scan(): void {
    if (typeof document === 'undefined') return;
    const videos = [...document.querySelectorAll('video')];
    const seen = new Set<Element>();
    for (const [trackSid, track] of this.#tracks) {
      const views: ElementView[] = [];
      for (const el of videos) {
        const src = el.srcObject;
        if (!(src instanceof MediaStream) || !src.getVideoTracks().includes(track)) continue;
        seen.add(el);
        if (!this.#observed.has(el)) {
          this.#observed.add(el);
          this.#resize?.observe(el);
        }
        views.push(view(el));
      }
      const size = displaySize(views, globalThis.devicePixelRatio || 1);
      const key = size ? `${size.width}x${size.height}:${size.hidden}` : 'none';
      if (this.#last.get(trackSid) === key) continue;
      this.#last.set(trackSid, key);
      this.#onChange(trackSid, size);
    }
    for (const el of [...this.#observed]) {
      if (seen.has(el)) continue;
      this.#observed.delete(el);
      this.#resize?.unobserve(el);
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.scan();
    });
  }
}

function view(el: HTMLVideoElement): ElementView {
  const rect = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const onScreen = rect.bottom > 0 && rect.right > 0 && rect.top < innerHeight && rect.left < innerWidth;
  const visible = onScreen && style.visibility !== 'hidden' && style.display !== 'none';
  return { width: rect.width, height: rect.height, visible };
}
