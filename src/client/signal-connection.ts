/**
 * One WebSocket to Parley's native signaling endpoint (protocol v1, src/signaling/protocol.ts):
 * requests with ids matched to their response or error, sequenced notifications handed to the
 * owner, and a keepalive that declares the socket dead when nothing arrives for too long (a
 * browser may not notice a dead network for minutes). It knows nothing about rooms.
 */
import type { z } from 'zod';
import type { clientMessage, SequencedNotification, ServerFrame } from '../signaling/protocol.js';
import { TypedEmitter } from './emitter.js';
import { ParleyClientError } from './errors.js';

type ClientInput = z.input<typeof clientMessage>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
/** A client message without its `id`: the connection numbers requests itself. */
export type OutboundMessage = WithoutId<ClientInput>;

export interface SignalConnectionOptions {
  /** Ms to wait for the socket to open. Default 10000. */
  connectTimeoutMs?: number;
  /** Ms between keepalive pings. Default 5000. */
  pingIntervalMs?: number;
  /** Ms without any inbound frame after which the socket is considered dead. Default 15000. */
  deadAfterMs?: number;
  /** Ms before an unanswered request rejects. Default 10000. */
  requestTimeoutMs?: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** True when `close()` was called on this side. */
  local: boolean;
}

export type SignalConnectionEvents = {
  notification: [SequencedNotification];
  close: [CloseInfo];
};

interface Pending {
  resolve: (data: unknown) => void;
  reject: (err: ParleyClientError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class SignalConnection extends TypedEmitter<SignalConnectionEvents> {
  readonly #ws: WebSocket;
  readonly #opts: Required<SignalConnectionOptions>;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #lastInbound = Date.now();
  #lastTick = Date.now();
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** Round-trip time of the last keepalive, in ms. */
  rttMs: number | undefined;

  private constructor(ws: WebSocket, opts: Required<SignalConnectionOptions>) {
    super();
    this.#ws = ws;
    this.#opts = opts;
    ws.addEventListener('message', (ev) => this.#onMessage(ev));
    ws.addEventListener('close', (ev) => this.#finish({ code: ev.code, reason: ev.reason, local: false }));
    this.#pingTimer = setInterval(() => this.#keepalive(), this.#opts.pingIntervalMs);
  }

  /** Opens the socket; rejects with CONNECTION_FAILED if it does not open in time. */
  static open(url: string, options: SignalConnectionOptions = {}): Promise<SignalConnection> {
    const opts: Required<SignalConnectionOptions> = {
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      pingIntervalMs: options.pingIntervalMs ?? 5_000,
      deadAfterMs: options.deadAfterMs ?? 15_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    };
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch (err) {
        reject(new ParleyClientError('CONNECTION_FAILED', `cannot open ${url}: ${String(err)}`));
        return;
      }
      const fail = (why: string): void => {
        clearTimeout(timer);
        ws.onopen = ws.onerror = ws.onclose = null;
        ws.close();
        reject(new ParleyClientError('CONNECTION_FAILED', `cannot connect to ${url}: ${why}`));
      };
      const timer = setTimeout(() => fail('timed out'), opts.connectTimeoutMs);
      ws.onerror = () => fail('socket error');
      ws.onclose = (ev) => fail(`closed (${ev.code})`);
      ws.onopen = () => {
        clearTimeout(timer);
        ws.onopen = ws.onerror = ws.onclose = null;
        resolve(new SignalConnection(ws, opts));
      };
    });
  }

  get open(): boolean {
    return !this.#closed && this.#ws.readyState === WebSocket.OPEN;
  }

  /** Sends a request and resolves with the response's `data`; rejects with the server's code. */
  request(message: OutboundMessage, timeoutMs = this.#opts.requestTimeoutMs): Promise<unknown> {
    if (!this.open) return Promise.reject(new ParleyClientError('NOT_CONNECTED', 'signaling is not connected'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ParleyClientError('REQUEST_TIMEOUT', `no answer to ${message.type} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#ws.send(JSON.stringify({ ...message, id }));
    });
  }

  /** Sends without waiting for an answer. Returns false when the socket is not open. */
  send(message: OutboundMessage): boolean {
    if (!this.open) return false;
    this.#ws.send(JSON.stringify(message));
    return true;
  }

  /** Closes the socket; pending requests reject with CONNECTION_CLOSED. */
  close(code = 1000, reason = 'client closed'): void {
    if (this.#closed) return;
    try {
      this.#ws.close(code, reason);
    } catch {
      this.#ws.close();
    }
    this.#finish({ code, reason, local: true });
  }

  /** Drops the socket as if the network failed (no leave is sent): the owner will resume. */
  drop(reason = 'connection dropped'): void {
    if (this.#closed) return;
    this.#ws.close(4001, reason);
    this.#finish({ code: 4001, reason, local: false });
  }

  #onMessage(ev: MessageEvent): void {
    this.#lastInbound = Date.now();
    if (typeof ev.data !== 'string') return;
    let frame: ServerFrame;
    try {
      const parsed: unknown = JSON.parse(ev.data);
      if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { type?: unknown }).type !== 'string') return;
      frame = parsed as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'response':
        // the SDK always sends an id; a response without one cannot be ours
        if (frame.id !== undefined) this.#settle(frame.id, (p) => p.resolve(frame.data));
        return;
      case 'error':
        if (frame.id === undefined) {
          console.warn(`[parley] server error ${frame.code}: ${frame.message}`);
          return;
        }
        this.#settle(frame.id, (p) => p.reject(new ParleyClientError(frame.code, frame.message, frame.details)));
        return;
      case 'pong':
        if (typeof frame.ts === 'number') this.rttMs = Date.now() - frame.ts;
        if (frame.id !== undefined) this.#settle(frame.id, (p) => p.resolve(frame));
        return;
      default:
        if (typeof frame.seq === 'number') this.emit('notification', frame);
    }
  }

  #settle(id: string | number, apply: (p: Pending) => void): void {
    const key = typeof id === 'number' ? id : Number(id);
    const pending = this.#pending.get(key);
    if (!pending) return;
    this.#pending.delete(key);
    clearTimeout(pending.timer);
    apply(pending);
  }

  #keepalive(): void {
    const now = Date.now();
    // Judge only when this timer has been running on time: background tabs throttle timers to
    // about once a minute, and silence after a late tick says nothing about the socket.
    const onTime = now - this.#lastTick < 2 * this.#opts.pingIntervalMs;
    this.#lastTick = now;
    if (onTime && now - this.#lastInbound > this.#opts.deadAfterMs) {
      this.#ws.close(4000, 'keepalive timeout');
      this.#finish({ code: 4000, reason: 'keepalive timeout', local: false });
      return;
    }
    this.send({ type: 'ping', ts: Date.now() });
  }

  #finish(info: CloseInfo): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pingTimer);
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new ParleyClientError('CONNECTION_CLOSED', `signaling closed (${info.code})`));
    }
    this.#pending.clear();
    this.emit('close', info);
  }
}
