/**
 * The signaling session of one room member across WebSocket connections: the first join, the
 * keepalive (in SignalConnection), and when the socket drops, reconnecting with backoff and
 * resuming (participantSid + resumeToken + lastSeq) within the grace period so the others see no
 * leave; the server replays the notifications missed meanwhile. When resume is refused or the
 * grace is over it joins again with the token (a new participant sid).
 *
 * Outgoing relays (`send`) are queued while reconnecting and flushed after a resume.
 */
import type { JoinResult, LeaveReason, SequencedNotification } from '../signaling/protocol.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { TypedEmitter } from './emitter.js';
import { FATAL_CODES, ParleyClientError } from './errors.js';
import { parseJoinResult, parseResumeResult, type ResumeResult } from './responses.js';
import { SignalConnection, type OutboundMessage, type SignalConnectionOptions } from './signal-connection.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface SessionOptions {
  /** Reconnect (resume, then rejoin) when the socket drops. Default true. */
  reconnect?: boolean;
  /** Give up reconnecting after this many ms. Default 60000. */
  maxReconnectMs?: number;
  backoff?: BackoffOptions;
  signaling?: SignalConnectionOptions;
  /** SFU rooms: subscribe to every track as it is published (default true); otherwise call `publication.setSubscribed(true)`. */
  autoSubscribe?: boolean;
}

export type SessionEvents = {
  state: [ConnectionState];
  notification: [SequencedNotification];
  /** The session resumed on a new socket; missed notifications are (being) replayed. */
  resumed: [ResumeResult];
  /** Resume was not possible: joined again as a new participant. */
  rejoined: [JoinResult];
  /** The session is over (left, removed, or reconnecting failed). */
  ended: [LeaveReason | 'error', ParleyClientError | undefined];
};

/** Messages worth queueing while reconnecting; anything else waits in `request`. */
const OUTBOX_LIMIT = 2000;

/** `resumeGrace` is in seconds in protocol v1; accept ms too, should a server send those. */
export function graceMs(resumeGrace: number): number {
  return resumeGrace > 600 ? resumeGrace : resumeGrace * 1000;
}

export class Session extends TypedEmitter<SessionEvents> {
  readonly #url: string;
  readonly #token: string;
  readonly #opts: SessionOptions;
  #conn: SignalConnection | undefined;
  #state: ConnectionState = 'connecting';
  #participantSid = '';
  #resumeToken = '';
  #graceMs = 15_000;
  /** Last notification sequence number processed; the server numbers from 1 per session. */
  #lastSeq = 0;
  #outbox: OutboundMessage[] = [];
  /** The next reconnect joins again instead of resuming (see `rejoin`). */
  #skipResume = false;

  constructor(url: string, token: string, opts: SessionOptions = {}) {
    super();
    this.#url = url;
    this.#token = token;
    this.#opts = opts;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * Opens the socket and joins; rejects with the server's code (e.g. TOKEN_EXPIRED, ROOM_FULL).
   * `onJoined` runs before the state turns `connected`, so listeners see a complete room.
   */
  async join(onJoined: (result: JoinResult) => void): Promise<JoinResult> {
    let conn: SignalConnection | undefined;
    try {
      conn = await SignalConnection.open(this.#url, this.#opts.signaling);
      this.#attach(conn);
      const result = parseJoinResult(await conn.request(this.#joinMessage()));
      this.#adopt(result);
      onJoined(result);
      this.#setState('connected');
      return result;
    } catch (err) {
      conn?.close();
      this.#conn = undefined;
      this.#setState('disconnected');
      throw err;
    }
  }

  /** Sends a request once connected; with `retry`, sends it again if the socket drops meanwhile. */
  async request(message: OutboundMessage, retry = false): Promise<unknown> {
    const conn = await this.#connected();
    try {
      return await conn.request(message);
    } catch (err) {
      if (!retry || !(err instanceof ParleyClientError) || err.code !== 'CONNECTION_CLOSED') throw err;
      return (await this.#connected()).request(message);
    }
  }

  /** Fire and forget; queued while reconnecting, flushed after resume, dropped on rejoin. */
  send(message: OutboundMessage): void {
    if (this.#state === 'disconnected') return;
    if (this.#state === 'connected' && this.#conn?.send(message)) return;
    if (this.#outbox.length < OUTBOX_LIMIT) this.#outbox.push(message);
  }

  /** Leaves the room and closes the socket. */
  async leave(): Promise<void> {
    if (this.#state === 'disconnected') return;
    const conn = this.#conn;
    if (conn?.open) await conn.request({ type: 'leave' }, 2000).catch(() => undefined);
    this.end('left');
  }

  /** Ends the session without telling the server (it already knows, e.g. after a `leave` notification). */
  end(reason: LeaveReason | 'error', error?: ParleyClientError): void {
    if (this.#state === 'disconnected') return;
    this.#state = 'disconnected';
    this.#conn?.close();
    this.#conn = undefined;
    this.#outbox = [];
    this.emit('state', 'disconnected');
    this.emit('ended', reason, error);
  }

  /**
   * Joins again as a new participant (the SFU subscriber connection could not recover): drops the
   * socket and, instead of resuming, sends `join` with the token; `rejoined` follows.
   */
  rejoin(): void {
    if (this.#state !== 'connected') return;
    this.#skipResume = true;
    this.#conn?.drop('joining again');
  }

  /** Testing aid: drops the socket as a network failure would; the session then resumes. */
  dropConnection(): void {
    this.#conn?.drop('simulated connection loss');
  }

  #attach(conn: SignalConnection): void {
    this.#conn = conn;
    conn.on('notification', (n) => {
      if (this.#conn !== conn) return;
      if (n.seq <= this.#lastSeq) return;
      this.#lastSeq = n.seq;
      this.emit('notification', n);
    });
    conn.on('close', (info) => {
      if (this.#conn !== conn || info.local || this.#state !== 'connected') return;
      if (this.#opts.reconnect === false) this.end('error', new ParleyClientError('CONNECTION_CLOSED', `signaling closed (${info.code})`));
      else void this.#reconnect();
    });
  }

  #joinMessage(): OutboundMessage {
    return { type: 'join', token: this.#token, protocol: 1, ...(this.#opts.autoSubscribe === false ? { autoSubscribe: false } : {}) };
  }

  #adopt(result: JoinResult): void {
    this.#participantSid = result.participant.sid;
    this.#resumeToken = result.resumeToken;
    this.#graceMs = graceMs(result.resumeGrace);
  }

  async #reconnect(): Promise<void> {
    this.#setState('reconnecting');
    const lostAt = Date.now();
    const maxMs = this.#opts.maxReconnectMs ?? 60_000;
    let resumable = !this.#skipResume;
    this.#skipResume = false;
    for (let attempt = 0; this.#state === 'reconnecting'; attempt++) {
      if (Date.now() - lostAt > maxMs) {
        this.end('error', new ParleyClientError('CONNECTION_FAILED', `could not reconnect within ${maxMs} ms`));
        return;
      }
      await sleepUntilOnline(attempt === 0 ? 0 : backoffDelay(attempt - 1, this.#opts.backoff));
      if (this.#state !== 'reconnecting') return;
      let conn: SignalConnection;
      try {
        conn = await SignalConnection.open(this.#url, this.#opts.signaling);
      } catch {
        continue;
      }
      if (this.#state !== 'reconnecting') {
        conn.close();
        return;
      }
      this.#attach(conn);
      if (resumable && Date.now() - lostAt < this.#graceMs) {
        const outcome = await this.#tryResume(conn);
        if (outcome === 'resumed') return;
        if (outcome === 'refused') resumable = false;
      }
      if (!conn.open) continue;
      if (await this.#tryRejoin(conn)) return;
    }
  }

  async #tryResume(conn: SignalConnection): Promise<'resumed' | 'refused' | 'dropped'> {
    try {
      const data = await conn.request({
        type: 'resume',
        participantSid: this.#participantSid,
        resumeToken: this.#resumeToken,
        lastSeq: this.#lastSeq,
      });
      const result = parseResumeResult(data);
      if (result.resumeToken) this.#resumeToken = result.resumeToken;
      if (result.resumeGrace !== undefined) this.#graceMs = graceMs(result.resumeGrace);
      this.#setState('connected');
      const queued = this.#outbox;
      this.#outbox = [];
      for (const message of queued) this.send(message);
      this.emit('resumed', result);
      return 'resumed';
    } catch (err) {
      return err instanceof ParleyClientError && err.code !== 'CONNECTION_CLOSED' && err.code !== 'REQUEST_TIMEOUT' ? 'refused' : 'dropped';
    }
  }

  async #tryRejoin(conn: SignalConnection): Promise<boolean> {
    const previousSeq = this.#lastSeq;
    try {
      this.#lastSeq = 0;
      const result = parseJoinResult(await conn.request(this.#joinMessage()));
      this.#adopt(result);
      this.#outbox = [];
      this.emit('rejoined', result);
      this.#setState('connected');
      return true;
    } catch (err) {
      this.#lastSeq = previousSeq;
      if (err instanceof ParleyClientError && FATAL_CODES.has(err.code)) this.end('error', err);
      else conn.close();
      return false;
    }
  }

  #connected(): Promise<SignalConnection> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.#state === 'connected' && this.#conn) {
          resolve(this.#conn);
          return true;
        }
        if (this.#state === 'disconnected') {
          reject(new ParleyClientError('NOT_CONNECTED', 'not connected to the room'));
          return true;
        }
        return false;
      };
      if (check()) return;
      const onState = (): void => {
        if (check()) this.off('state', onState);
      };
      this.on('state', onState);
    });
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}

/** Waits `ms`, or less when the browser reports that the network is back. */
function sleepUntilOnline(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      globalThis.removeEventListener?.('online', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    globalThis.addEventListener?.('online', done);
  });
}
