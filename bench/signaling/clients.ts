/**
 * The two benchmark clients behind one interface, both on the same `ws` library so the load
 * generator costs the same per message whichever server it drives:
 *  - ParleyClient speaks native signaling v1 (join with a token, `data` to the peer's sid);
 *  - SocketIoClient speaks Engine.IO 4 / socket.io 5 over a WebSocket (what socket.io-client does
 *    with `transports: ['websocket']`, minus its reconnect and buffering machinery).
 */
import { WebSocket } from 'ws';

export interface BenchPayload {
  /** Send time, performance.now() of the sending process (both pair members share a process). */
  t: number;
  /** 1 when sent inside the measurement window. */
  m: 0 | 1;
  /** A realistic ICE candidate, so frames have the size of real signaling. */
  c: string;
}

export interface BenchClient {
  /** Connects and joins `room`; resolves once it can send to its peer. */
  join(room: string, token: string): Promise<void>;
  /** Resolves when the peer is known (Parley needs its sid; socket.io relays by room). */
  peerReady(): Promise<void>;
  send(payload: BenchPayload): void;
  readonly open: boolean;
  close(): void;
}

export type OnPayload = (p: BenchPayload) => void;
export type OnError = (what: string) => void;

/** Opens a socket; `onMessage` is attached before the upgrade completes, since a server may send
 * its first frame in the same packet as the 101 response (socket.io does). */
function connect(url: string, onMessage: (ws: WebSocket, text: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', (raw) => onMessage(ws, raw.toString()));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

interface ParleyFrame {
  type: string;
  id?: number;
  data?: { participant: { sid: string }; participants: Array<{ sid: string }> };
  participant?: { sid: string };
  payload?: BenchPayload;
  code?: string;
  message?: string;
}

export class ParleyClient implements BenchClient {
  private ws: WebSocket | undefined;
  private peerSid: string | undefined;
  private readonly peer = deferred();

  constructor(
    private readonly origin: string,
    private readonly onPayload: OnPayload,
    private readonly onError: OnError,
  ) {}

  async join(_room: string, token: string): Promise<void> {
    let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const joined = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const ws = await connect(`${this.origin.replace(/^http/, 'ws')}/rtc`, (_ws, text) => {
      const f = JSON.parse(text) as ParleyFrame;
      if (f.type === 'data' && f.payload) this.onPayload(f.payload);
      else if (f.type === 'participant_joined' && f.participant) this.setPeer(f.participant.sid);
      else if (f.type === 'response' && f.id === 1 && f.data) {
        const other = f.data.participants[0];
        if (other) this.setPeer(other.sid);
        settle?.resolve();
      } else if (f.type === 'error') {
        if (f.id === 1) settle?.reject(new Error(`join failed: ${f.code}: ${f.message}`));
        else this.onError(`${f.code}`);
      }
    });
    this.ws = ws;
    ws.once('close', () => settle?.reject(new Error('closed before join')));
    ws.send(JSON.stringify({ id: 1, type: 'join', token }));
    return joined;
  }

  peerReady(): Promise<void> {
    return this.peer.promise;
  }

  send(payload: BenchPayload): void {
    this.ws?.send(JSON.stringify({ type: 'data', to: [this.peerSid], payload }));
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.ws?.terminate();
  }

  private setPeer(sid: string): void {
    this.peerSid = sid;
    this.peer.resolve();
  }
}

export class SocketIoClient implements BenchClient {
  private ws: WebSocket | undefined;

  constructor(
    private readonly origin: string,
    private readonly onPayload: OnPayload,
    private readonly onError: OnError,
  ) {}

  async join(room: string): Promise<void> {
    let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const joined = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const ws = await connect(`${this.origin.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, (sock, s) => {
      switch (s[0]) {
        case '0': // Engine.IO open: connect to the default namespace
          sock.send('40');
          break;
        case '2': // Engine.IO ping
          sock.send('3');
          break;
        case '4':
          if (s.startsWith('42')) {
            const [, msg] = JSON.parse(s.slice(2)) as [string, { payload: BenchPayload }];
            this.onPayload(msg.payload);
          } else if (s.startsWith('40')) sock.send(`421${JSON.stringify(['join', room])}`);
          else if (s.startsWith('431')) settle?.resolve();
          else if (s.startsWith('44')) settle?.reject(new Error(`connect error: ${s}`));
          break;
        default:
          this.onError(`unexpected packet ${s.slice(0, 16)}`);
      }
    });
    this.ws = ws;
    ws.once('close', () => settle?.reject(new Error('closed before join')));
    return joined;
  }

  peerReady(): Promise<void> {
    return Promise.resolve();
  }

  send(payload: BenchPayload): void {
    this.ws?.send(`42${JSON.stringify(['msg', payload])}`);
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.ws?.terminate();
  }
}
