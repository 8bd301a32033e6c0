/**
 * A minimal client of Parley's native signaling protocol v1 (docs/signaling.md) over `ws`:
 * requests answered by id, notifications handed to one listener per type.
 */
import WebSocket from 'ws';
import type { ServerFrame, ServerNotification } from '../signaling/protocol.js';

type Notification<T extends ServerNotification['type']> = Extract<ServerNotification, { type: T }>;

export class SignalError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export class SignalClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (data: unknown) => void; reject: (err: Error) => void }>();
  private readonly listeners = new Map<string, (n: ServerNotification) => void>();
  /**
   * Notifications that came before anyone listened for their type: the server sends the first
   * `sfu_offer` right behind the join response, often in the same tick, before the caller's `await`
   * has resumed and called `on`.
   */
  private readonly backlog: ServerNotification[] = [];
  /** Errors the server sent for requests without an id (e.g. trickled candidates). */
  readonly unsolicitedErrors: string[] = [];
  private closedError: Error | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.onFrame(JSON.parse(String(data)) as ServerFrame));
    ws.on('close', (code) => {
      this.closedError = new Error(`signaling socket closed (${code})`);
      for (const p of this.pending.values()) p.reject(this.closedError);
      this.pending.clear();
    });
  }

  static connect(url: string, timeoutMs = 10_000): Promise<SignalClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`signaling connect to ${url} timed out`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(new SignalClient(ws));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  on<T extends ServerNotification['type']>(type: T, listener: (n: Notification<T>) => void): void {
    this.listeners.set(type, listener as (n: ServerNotification) => void);
    for (let i = 0; i < this.backlog.length; ) {
      const n = this.backlog[i]!;
      if (n.type === type) {
        this.backlog.splice(i, 1);
        listener(n as Notification<T>);
      } else i++;
    }
  }

  /** Sends a request and resolves with its response's `data`; rejects with a SignalError. */
  request<T = unknown>(msg: { type: string; [k: string]: unknown }, timeoutMs = 15_000): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${msg.type}: no response in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ ...msg, id }));
    });
  }

  /** Sends a request without an id: no response (errors still come back, without id). */
  send(msg: { type: string; [k: string]: unknown }): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2000).unref();
    });
  }

  private onFrame(f: ServerFrame): void {
    if (f.type === 'response' || f.type === 'error') {
      const p = typeof f.id === 'number' ? this.pending.get(f.id) : undefined;
      if (!p) {
        if (f.type === 'error') this.unsolicitedErrors.push(`${f.code}: ${f.message}`);
        return;
      }
      this.pending.delete(f.id as number);
      if (f.type === 'response') p.resolve(f.data);
      else p.reject(new SignalError(f.code, f.message));
      return;
    }
    if (f.type === 'pong') return;
    const listener = this.listeners.get(f.type);
    if (listener) listener(f);
    else if (this.backlog.length < 256) this.backlog.push(f);
  }
}
