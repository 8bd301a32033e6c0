/** The control bar: microphone, camera, screen share, chat and leave. */
import type { Room, TrackSource } from '../client/index.js';
import { byId, svg } from './dom.js';
import { icons } from './icons.js';

export interface ControlsOptions {
  onToggleChat: () => void;
  onLeave: () => void;
  onError: (text: string) => void;
}

export class Controls {
  readonly #room: Room;
  readonly #mic = byId<HTMLButtonElement>('btn-mic');
  readonly #cam = byId<HTMLButtonElement>('btn-cam');
  readonly #screen = byId<HTMLButtonElement>('btn-screen');
  readonly #chat = byId<HTMLButtonElement>('btn-chat');
  readonly #leave = byId<HTMLButtonElement>('btn-leave');
  readonly #abort = new AbortController();

  constructor(room: Room, opts: ControlsOptions) {
    this.#room = room;
    const local = room.localParticipant;
    const signal = this.#abort.signal;
    const toggle = (button: HTMLButtonElement, source: TrackSource, set: (on: boolean) => Promise<void>, label: string): void => {
      button.addEventListener(
        'click',
        () => {
          button.disabled = true;
          set(!local.isSourceEnabled(source))
            .catch((err: unknown) => opts.onError(`${label}: ${err instanceof Error ? err.message : String(err)}`))
            .finally(() => {
              button.disabled = false;
              this.render();
            });
        },
        { signal },
      );
    };
    toggle(this.#mic, 'microphone', (on) => local.setMicrophoneEnabled(on), 'Microphone');
    toggle(this.#cam, 'camera', (on) => local.setCameraEnabled(on), 'Camera');
    toggle(this.#screen, 'screen', (on) => local.setScreenShareEnabled(on), 'Screen share');
    this.#screen.hidden = typeof navigator.mediaDevices?.getDisplayMedia !== 'function';
    this.#chat.addEventListener('click', opts.onToggleChat, { signal });
    this.#leave.addEventListener('click', opts.onLeave, { signal });
    this.#leave.replaceChildren(svg(icons.leave));
    this.#chat.replaceChildren(svg(icons.chat), this.#chat.querySelector('.badge') ?? '');
    const rerender = (): void => this.render();
    room.on('localTrackPublished', rerender);
    room.on('localTrackUnpublished', rerender);
    room.on('trackMuted', rerender);
    room.on('trackUnmuted', rerender);
    this.render();
  }

  render(): void {
    const local = this.#room.localParticipant;
    const set = (button: HTMLButtonElement, on: boolean, onIcon: string, offIcon: string, what: string): void => {
      button.classList.toggle('off', !on);
      button.setAttribute('aria-pressed', String(on));
      button.title = on ? `Turn off ${what}` : `Turn on ${what}`;
      button.replaceChildren(svg(on ? onIcon : offIcon));
    };
    set(this.#mic, local.isSourceEnabled('microphone'), icons.mic, icons.micOff, 'microphone');
    set(this.#cam, local.isSourceEnabled('camera'), icons.cam, icons.camOff, 'camera');
    const sharing = local.getTrack('screen') !== undefined;
    this.#screen.classList.toggle('active', sharing);
    this.#screen.title = sharing ? 'Stop sharing' : 'Share your screen';
    this.#screen.replaceChildren(svg(icons.screen));
  }

  destroy(): void {
    this.#abort.abort();
  }
}
