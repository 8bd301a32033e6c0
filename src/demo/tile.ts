/** One video tile: a participant's camera (with name, mic state, quality) or a screen share. */
import type { ConnectionQuality } from '../client/index.js';
import { h, hue, initials, svg } from './dom.js';
import { icons } from './icons.js';

export interface TileOptions {
  identity: string;
  name: string;
  isLocal: boolean;
  kind: 'camera' | 'screen';
}

const QUALITY_LABEL: Record<ConnectionQuality, string> = {
  excellent: 'Excellent connection',
  good: 'Good connection',
  poor: 'Poor connection',
  lost: 'Connection lost',
  unknown: 'Measuring connection…',
};

export class Tile {
  readonly el: HTMLElement;
  readonly #video: HTMLVideoElement;
  readonly #audio: HTMLAudioElement;
  readonly #avatar: HTMLElement;
  readonly #name: HTMLElement;
  readonly #mic: HTMLElement;
  readonly #quality: HTMLElement;
  readonly #overlay: HTMLElement;
  readonly #opts: TileOptions;
  #videoTrack: MediaStreamTrack | undefined;
  #audioTrack: MediaStreamTrack | undefined;

  constructor(opts: TileOptions) {
    this.#opts = opts;
    this.#video = h('video', { autoplay: true, playsinline: true });
    this.#video.muted = true;
    this.#audio = h('audio', { autoplay: true });
    this.#avatar = h('div', { class: 'avatar' }, initials(opts.name));
    this.#avatar.style.setProperty('--hue', String(hue(opts.identity)));
    this.#name = h('span', { class: 'tile-name' });
    this.#mic = h('span', { class: 'tile-mic', title: 'Microphone muted' }, svg(icons.micOff));
    this.#quality = h('span', { class: 'quality', 'data-quality': 'unknown' }, h('i'), h('i'), h('i'));
    this.#overlay = h('div', { class: 'tile-stats', 'aria-hidden': 'true' });
    this.#overlay.hidden = true;
    this.el = h(
      'div',
      { class: `tile ${opts.kind}${opts.isLocal ? ' local' : ''}`, 'data-identity': opts.identity },
      this.#video,
      this.#audio,
      h('div', { class: 'avatar-wrap' }, this.#avatar),
      this.#overlay,
      h('div', { class: 'tile-bar' }, this.#mic, this.#name, this.#quality),
    );
    this.setName(opts.name);
    this.setMicMuted(undefined);
    this.setVideo(undefined, false);
  }

  setName(name: string): void {
    const suffix = this.#opts.kind === 'screen' ? ' · screen' : this.#opts.isLocal ? ' (you)' : '';
    this.#name.textContent = name + suffix;
    this.#avatar.textContent = initials(name);
  }

  /** Shows `track` unless muted; otherwise the avatar. */
  setVideo(track: MediaStreamTrack | undefined, muted: boolean): void {
    if (track !== this.#videoTrack) {
      this.#videoTrack = track;
      this.#video.srcObject = track ? new MediaStream([track]) : null;
      if (track) this.#video.play().catch(() => undefined);
    }
    this.el.classList.toggle('no-video', !track || muted);
  }

  /** Plays a remote participant's audio (never the local one's). */
  setAudio(track: MediaStreamTrack | undefined): void {
    if (this.#opts.isLocal || track === this.#audioTrack) return;
    this.#audioTrack = track;
    this.#audio.srcObject = track ? new MediaStream([track]) : null;
    if (track) this.#audio.play().catch(() => audioBlocked(this.#audio));
  }

  /** undefined: no microphone published. */
  setMicMuted(muted: boolean | undefined): void {
    this.#mic.hidden = this.#opts.kind === 'screen' || muted === false;
    this.el.dataset['mic'] = muted === undefined ? 'none' : muted ? 'muted' : 'on';
  }

  setQuality(quality: ConnectionQuality): void {
    this.#quality.dataset['quality'] = quality;
    this.#quality.title = QUALITY_LABEL[quality];
    this.#quality.hidden = this.#opts.kind === 'screen';
  }

  setSpeaking(speaking: boolean): void {
    this.el.classList.toggle('speaking', speaking);
  }

  /** The receive overlay (layer and resolution, bitrate, loss); undefined hides it. */
  setStats(lines: string[] | undefined): void {
    this.#overlay.hidden = lines === undefined;
    const text = lines?.join('\n') ?? '';
    if (this.#overlay.textContent !== text) this.#overlay.textContent = text;
  }

  destroy(): void {
    this.#video.srcObject = null;
    this.#audio.srcObject = null;
    this.el.remove();
  }
}

/**
 * Browsers refuse to play sound before the user interacted with the page (e.g. after an autojoin
 * link): remember the elements and offer a button that plays them all.
 */
const blocked = new Set<HTMLAudioElement>();

function audioBlocked(audio: HTMLAudioElement): void {
  blocked.add(audio);
  if (document.getElementById('unmute-audio')) return;
  const button = h('button', { id: 'unmute-audio', class: 'unmute-audio', type: 'button' }, 'Click to hear the others');
  button.addEventListener('click', () => {
    for (const el of blocked) el.play().catch(() => undefined);
    blocked.clear();
    button.remove();
  });
  document.body.append(button);
}
