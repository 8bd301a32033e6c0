/**
 * Parley demo app: a lobby (room + name), then a call with a video grid, chat and controls.
 * Uses only the SDK (src/client). `/?room=R&name=N&autojoin=1` joins directly.
 */
import { ParleyClientError, Room, type ConnectionState } from '../client/index.js';
import { fetchDevToken } from './api.js';
import { AutomationLog, installAutomation } from './automation.js';
import { Chat } from './chat.js';
import { Controls } from './controls.js';
import { byId, h, svg } from './dom.js';
import { icons } from './icons.js';
import { Stage } from './stage.js';

const lobby = byId('lobby');
const call = byId('call');
const form = byId<HTMLFormElement>('join-form');
const roomInput = byId<HTMLInputElement>('room-input');
const nameInput = byId<HTMLInputElement>('name-input');
const joinButton = byId<HTMLButtonElement>('join-button');
const joinError = byId('join-error');
const chatPanel = byId('chat-panel');
const unread = byId('unread');

let room: Room | undefined;
let chat: Chat | undefined;
let teardown: (() => void) | undefined;
const log = new AutomationLog();
const params = new URLSearchParams(location.search);
/** `?token=JWT` (and optionally `&url=wss://…`) joins with a token from elsewhere, for servers with API keys. */
const presetToken = params.get('token') ?? undefined;

installAutomation(
  () => room,
  log,
  async (text) => {
    if (!chat) throw new Error('not in a room');
    await chat.send(text);
  },
);

function toast(text: string, kind: 'info' | 'error' = 'info'): void {
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  byId('toasts').append(el);
  setTimeout(() => el.classList.add('leaving'), 3500);
  setTimeout(() => el.remove(), 4000);
}

const STATE_LABEL: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  disconnected: 'Disconnected',
};

function showState(state: ConnectionState): void {
  const el = byId('conn-state');
  el.dataset['state'] = state;
  el.textContent = STATE_LABEL[state];
}

function updateCount(r: Room): void {
  const n = r.participants.size + 1;
  byId('people-count').textContent = `${n} ${n === 1 ? 'person' : 'people'}`;
}

function setChatOpen(open: boolean): void {
  chatPanel.classList.toggle('open', open);
  byId('btn-chat').classList.toggle('active', open);
  if (open) {
    unread.hidden = true;
    unread.textContent = '0';
    byId<HTMLInputElement>('chat-input').focus();
  }
}

/** A per-tab identity per room, so a reload replaces the old connection instead of lingering. */
function identityFor(roomName: string): string | undefined {
  try {
    return sessionStorage.getItem(`parley.identity.${roomName}`) ?? undefined;
  } catch {
    return undefined;
  }
}

async function join(roomName: string, name: string, media: { camera: boolean; microphone: boolean }): Promise<void> {
  joinButton.disabled = true;
  joinError.hidden = true;
  try {
    const { token, url, identity } = presetToken
      ? { token: presetToken, url: params.get('url') ?? location.origin, identity: undefined }
      : await fetchDevToken(roomName, name, identityFor(roomName));
    if (identity) sessionStorage.setItem(`parley.identity.${roomName}`, identity);
    // `?adaptive=0` / `?simulcast=0` / `?autosubscribe=0` turn off the SFU room's display-size
    // reporting / simulcast / automatic subscriptions.
    const r = new Room({
      adaptiveStream: params.get('adaptive') !== '0',
      simulcast: params.get('simulcast') !== '0',
      autoSubscribe: params.get('autosubscribe') !== '0',
    });
    room = r;
    wire(r, roomName);
    await r.connect(url, token);
    localStorage.setItem('parley.name', name);
    byId('room-name').textContent = r.name || roomName;
    document.title = `${r.name || roomName} · Parley`;
    if (!presetToken) history.replaceState(null, '', `/?room=${encodeURIComponent(roomName)}`);
    else if (name && name !== r.localParticipant.name) await r.setName(name).catch(() => undefined);
    lobby.hidden = true;
    call.hidden = false;
    updateCount(r);
    const publish = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        toast(`${what} unavailable: ${err instanceof Error ? err.message : String(err)}`, 'error');
      }
    };
    if (media.microphone) await publish('Microphone', () => r.localParticipant.publishMicrophone());
    if (media.camera) await publish('Camera', () => r.localParticipant.publishCamera());
  } catch (err) {
    teardown?.();
    room = undefined;
    const message = err instanceof ParleyClientError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
    joinError.textContent = `Could not join: ${message}`;
    joinError.hidden = false;
    lobby.hidden = false;
    call.hidden = true;
  } finally {
    joinButton.disabled = false;
  }
}

function wire(r: Room, roomName: string): void {
  byId('room-name').textContent = roomName;
  log.watch(r);
  const stage = new Stage(r, byId('stage'));
  const list = byId('chat-list');
  list.replaceChildren();
  chat = new Chat(r, {
    list,
    form: byId<HTMLFormElement>('chat-form'),
    input: byId<HTMLInputElement>('chat-input'),
    onReceived: (msg) => {
      log.messages.push(msg);
      if (!chatPanel.classList.contains('open')) {
        unread.textContent = String(Number(unread.textContent || '0') + 1);
        unread.hidden = false;
      }
    },
  });
  const controls = new Controls(r, {
    onToggleChat: () => setChatOpen(!chatPanel.classList.contains('open')),
    onLeave: () => void r.leave(),
    onError: (text) => toast(text, 'error'),
  });
  r.on('connectionStateChanged', (state) => {
    showState(state);
    if (state === 'connected') stage.syncAll();
  });
  r.on('participantJoined', (p) => {
    updateCount(r);
    chat?.system(`${p.name || p.identity} joined`);
  });
  r.on('participantLeft', (p, reason) => {
    updateCount(r);
    if (r.state !== 'disconnected') chat?.system(`${p.name || p.identity} left${reason === 'disconnected' ? ' (connection lost)' : ''}`);
  });
  r.on('disconnected', (reason, error) => {
    teardown?.();
    if (reason !== 'left') toast(error ? `Disconnected: ${error.message}` : `Disconnected (${reason.replace('_', ' ')})`, 'error');
    lobby.hidden = false;
    call.hidden = true;
    document.title = 'Parley · video rooms';
  });
  const currentChat = chat;
  teardown = () => {
    controls.destroy();
    currentChat.destroy();
    stage.clear();
    r.removeAllListeners();
    teardown = undefined;
  };
  showState('connecting');
}

function copyInvite(): void {
  const link = `${location.origin}/?room=${encodeURIComponent(room?.name ?? roomInput.value)}`;
  navigator.clipboard.writeText(link).then(
    () => toast('Invite link copied'),
    () => toast(link),
  );
}

function boot(): void {
  roomInput.value = params.get('room') ?? '';
  nameInput.value = params.get('name') ?? localStorage.getItem('parley.name') ?? '';
  byId('copy-link').replaceChildren(svg(icons.link), h('span', {}, 'Invite'));
  byId('copy-link').addEventListener('click', copyInvite);
  byId('chat-close').replaceChildren(svg(icons.close));
  byId('chat-close').addEventListener('click', () => setChatOpen(false));
  byId('chat-send').replaceChildren(svg(icons.send));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const media = { camera: byId<HTMLInputElement>('join-cam').checked, microphone: byId<HTMLInputElement>('join-mic').checked };
    void join(roomInput.value.trim(), nameInput.value.trim(), media);
  });
  if (!roomInput.value) roomInput.value = `room-${Math.random().toString(36).slice(2, 7)}`;
  (nameInput.value ? roomInput : nameInput).focus();
  const autojoin = params.get('autojoin');
  if ((autojoin === '1' || autojoin === 'true') && (params.get('room') || presetToken) && nameInput.value) {
    void join(roomInput.value.trim(), nameInput.value.trim(), { camera: true, microphone: true });
  }
}

boot();
