/** The chat panel: messages travel as room data with topic "chat" and payload `{ text }`. */
import type { Room } from '../client/index.js';
import { h, hue } from './dom.js';

export const CHAT_TOPIC = 'chat';

export interface ChatMessage {
  from: string;
  name: string;
  text: string;
  ts: number;
  self: boolean;
}

export interface ChatOptions {
  list: HTMLElement;
  form: HTMLFormElement;
  input: HTMLInputElement;
  /** Called for every message from someone else (unread badge, automation). */
  onReceived: (msg: ChatMessage) => void;
}

function chatText(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const text = (payload as { text?: unknown }).text;
  return typeof text === 'string' && text.length > 0 ? text.slice(0, 4000) : undefined;
}

export class Chat {
  readonly #room: Room;
  readonly #opts: ChatOptions;
  readonly #abort = new AbortController();

  constructor(room: Room, opts: ChatOptions) {
    this.#room = room;
    this.#opts = opts;
    room.on('dataReceived', (payload, participant, info) => {
      if (info.topic !== CHAT_TOPIC) return;
      const text = chatText(payload);
      if (text === undefined) return;
      const msg: ChatMessage = {
        from: info.from?.identity ?? 'server',
        name: participant?.name || info.from?.identity || 'Server',
        text,
        ts: info.ts,
        self: false,
      };
      this.#render(msg);
      opts.onReceived(msg);
    });
    opts.form.addEventListener(
      'submit',
      (ev) => {
        ev.preventDefault();
        const text = opts.input.value.trim();
        if (!text) return;
        opts.input.value = '';
        void this.send(text);
      },
      { signal: this.#abort.signal },
    );
  }

  destroy(): void {
    this.#abort.abort();
  }

  async send(text: string): Promise<void> {
    const local = this.#room.localParticipant;
    const msg: ChatMessage = { from: local.identity, name: local.name || local.identity, text, ts: Date.now(), self: true };
    const row = this.#render(msg);
    row.classList.add('pending');
    try {
      await this.#room.sendData({ text }, { topic: CHAT_TOPIC });
      row.classList.remove('pending');
    } catch (err) {
      row.classList.replace('pending', 'failed');
      row.title = `Not delivered: ${String(err)}`;
    }
  }

  system(text: string): void {
    this.#opts.list.append(h('li', { class: 'msg system' }, text));
    this.#scroll();
  }

  #render(msg: ChatMessage): HTMLElement {
    const time = new Date(msg.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const author = h('span', { class: 'msg-author' }, msg.self ? 'You' : msg.name);
    author.style.setProperty('--hue', String(hue(msg.from)));
    const row = h(
      'li',
      { class: `msg${msg.self ? ' self' : ''}` },
      h('div', { class: 'msg-head' }, author, h('time', {}, time)),
      h('div', { class: 'msg-text' }, msg.text),
    );
    this.#opts.list.append(row);
    this.#scroll();
    return row;
  }

  #scroll(): void {
    this.#opts.list.scrollTop = this.#opts.list.scrollHeight;
  }
}
