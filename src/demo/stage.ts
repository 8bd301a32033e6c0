/**
 * The video stage: keeps one tile per participant (plus one per screen share) in step with the
 * room, and lays the tiles out as large as the space allows.
 */
import type { Participant, Room } from '../client/index.js';
import { statsLines } from './overlay.js';
import { Tile } from './tile.js';

export class Stage {
  readonly #room: Room;
  readonly #el: HTMLElement;
  readonly #tiles = new Map<string, Tile>();
  #speaking = new Set<string>();
  #localSid = '';
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(room: Room, el: HTMLElement) {
    this.#room = room;
    this.#el = el;
    const refresh = (p: Participant): void => this.sync(p);
    room.on('participantJoined', refresh);
    room.on('participantUpdated', refresh);
    room.on('participantLeft', (p) => this.#removeAll(p.sid));
    room.on('trackPublished', (_pub, p) => this.sync(p));
    room.on('trackUnpublished', (_pub, p) => this.sync(p));
    room.on('trackSubscribed', (_t, _pub, p) => this.sync(p));
    room.on('trackUnsubscribed', (_t, _pub, p) => this.sync(p));
    room.on('trackMuted', (_pub, p) => this.sync(p));
    room.on('trackUnmuted', (_pub, p) => this.sync(p));
    room.on('localTrackPublished', () => this.sync(room.localParticipant));
    room.on('localTrackUnpublished', () => this.sync(room.localParticipant));
    room.on('connectionQualityChanged', (_q, p) => this.sync(p));
    room.on('activeSpeakersChanged', (speakers) => {
      this.#speaking = new Set(speakers.map((s) => s.sid));
      for (const [key, tile] of this.#tiles) tile.setSpeaking(this.#speaking.has(key.split(':')[0] ?? ''));
    });
    new ResizeObserver(() => this.layout()).observe(el);
    this.#timer = setInterval(() => this.#showStats(), 1000);
  }

  /** Refreshes each remote tile's receive overlay from the SDK's per-track stats. */
  #showStats(): void {
    for (const p of this.#room.participants.values()) {
      for (const kind of ['camera', 'screen'] as const) {
        const tile = this.#tiles.get(`${p.sid}:${kind}`);
        const pub = p.tracks.get([...p.tracks.values()].find((t) => t.source === kind)?.sid ?? '');
        tile?.setStats(pub?.stats ? statsLines(pub.stats, pub.layers) : undefined);
      }
    }
  }

  /** Renders everyone the room knows now. */
  syncAll(): void {
    this.sync(this.#room.localParticipant);
    for (const p of this.#room.participants.values()) this.sync(p);
  }

  sync(p: Participant): void {
    if (!p.sid) return;
    if (p.isLocal && p.sid !== this.#localSid) {
      if (this.#localSid) this.#removeAll(this.#localSid);
      this.#localSid = p.sid;
    }
    const camera = this.#tile(p, 'camera');
    camera.setName(p.name || p.identity);
    const cam = p.getTrack('camera');
    camera.setVideo(cam?.track, cam?.muted ?? false);
    const mic = p.getTrack('microphone');
    camera.setMicMuted(mic ? mic.muted : undefined);
    camera.setAudio(mic?.track);
    camera.setQuality(p.isLocal && this.#room.participants.size === 0 ? 'unknown' : p.connectionQuality);
    camera.setSpeaking(this.#speaking.has(p.sid));
    const screen = p.getTrack('screen');
    if (screen?.track) {
      const tile = this.#tile(p, 'screen');
      tile.setName(p.name || p.identity);
      tile.setVideo(screen.track, false);
      tile.setAudio(p.getTrack('screen_audio')?.track);
    } else {
      this.#remove(`${p.sid}:screen`);
    }
    this.layout();
  }

  /** Picks the column count that makes 16:9 tiles largest in the stage. */
  layout(): void {
    const n = this.#tiles.size;
    if (n === 0) return;
    const gap = 12;
    const css = getComputedStyle(this.#el);
    const padX = parseFloat(css.paddingLeft) + parseFloat(css.paddingRight);
    const padY = parseFloat(css.paddingTop) + parseFloat(css.paddingBottom);
    const width = this.#el.clientWidth - padX;
    const height = this.#el.clientHeight - padY;
    let best = { cols: 1, size: 0 };
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      const w = Math.min((width - gap * (cols - 1)) / cols, ((height - gap * (rows - 1)) / rows) * (16 / 9));
      if (w > best.size) best = { cols, size: w };
    }
    this.#el.style.setProperty('--cols', String(best.cols));
    this.#el.style.setProperty('--tile-w', `${Math.floor(best.size)}px`);
  }

  #tile(p: Participant, kind: 'camera' | 'screen'): Tile {
    const key = `${p.sid}:${kind}`;
    let tile = this.#tiles.get(key);
    if (!tile) {
      tile = new Tile({ identity: p.identity, name: p.name || p.identity, isLocal: p.isLocal, kind });
      this.#tiles.set(key, tile);
      if (kind === 'screen') this.#el.prepend(tile.el);
      else this.#el.append(tile.el);
    }
    return tile;
  }

  #remove(key: string): void {
    const tile = this.#tiles.get(key);
    if (!tile) return;
    tile.destroy();
    this.#tiles.delete(key);
  }

  #removeAll(sid: string): void {
    this.#remove(`${sid}:camera`);
    this.#remove(`${sid}:screen`);
    this.layout();
  }

  clear(): void {
    clearInterval(this.#timer);
    for (const key of [...this.#tiles.keys()]) this.#remove(key);
  }
}
