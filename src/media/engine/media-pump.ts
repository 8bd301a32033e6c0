/**
 * The media pump (ADR 0011): a native thread receives the UDP sockets of connections that publish,
 * forwards each incoming stream's steady state to its armed subscriber routes (rewrite, seal,
 * sendto) without entering JavaScript, and hands every datagram to JavaScript afterwards: at once
 * when it did not forward it (STUN, DTLS, RTCP, a packet that breaks the steady state, which holds
 * the stream until JavaScript releases it), in batches of `batchMs` when it did. JavaScript then
 * runs the same path as for a packet it received itself (statistics, NACK generation, the
 * fan-out's decisions and bookkeeping) and skips the send for the routes the pump already served.
 *
 * One pump per thread that holds rooms (the native thread of one addon instance). This file is the
 * JavaScript half: sockets handed over and given back, items dispatched in arrival order, routes
 * numbered, the replay context the outgoing tracks read.
 */
import type { Socket } from 'node:dgram';
import type { NativeAddon, NativePump, PumpItem } from '../../native/index.js';
import { udpSocketFd, udpSocketHandle } from '../../native/index.js';

/** Gets the pump's items of one socket. */
export type PumpListener = (item: PumpItem) => void;

interface RecvHandle {
  recvStop(): number;
  recvStart(): number;
}

interface HandedSocket {
  readonly socket: Socket;
  readonly listener: PumpListener;
  readonly handle: RecvHandle;
}

/** What the outgoing tracks did with the packet being delivered now (see `replaying`). */
export interface ReplayCounts {
  /** Sends that JavaScript made itself (no route, or the pump did not serve this route). */
  sentByJavaScript: number;
  /** Sends skipped because the pump had sent them. */
  sentByPump: number;
}

export class MediaPump {
  readonly batchMs: number;
  private readonly native: NativeAddon;
  private readonly pump: NativePump;
  private readonly sockets = new Map<number, HandedSocket>();
  /** Items in arrival order not dispatched yet (a drain during a dispatch appends here). */
  private readonly queue: PumpItem[] = [];
  private dispatching = false;
  private closed = false;
  private nextRouteId = 1;
  /** The forwarded item (kind 2) being delivered now: the outgoing tracks skip the routes it names. */
  replaying: PumpItem | undefined;
  readonly counts: ReplayCounts = { sentByJavaScript: 0, sentByPump: 0 };
  /** A replayed packet whose JavaScript decision differed from what the pump had sent (the route is then disarmed). */
  mismatches = 0;
  /** Items whose handling threw (dropped, as a socket listener's throw would drop the datagram). */
  failed = 0;

  constructor(native: NativeAddon, batchMs: number) {
    this.native = native;
    this.batchMs = batchMs;
    this.pump = native.pumpCreate((items) => this.dispatch(items), batchMs);
  }

  get addon(): NativeAddon {
    return this.native;
  }

  get handle(): NativePump {
    return this.pump;
  }

  /**
   * Hands a bound socket to the pump: Node stops reading it, the pump reads it and gives every
   * datagram to `listener`. False (nothing changed) when the socket has no descriptor.
   */
  addSocket(socket: Socket, listener: PumpListener): boolean {
    if (this.closed) return false;
    const fd = udpSocketFd(socket);
    const handle = udpSocketHandle(socket) as Partial<RecvHandle> | undefined;
    if (fd === undefined || typeof handle?.recvStop !== 'function' || typeof handle.recvStart !== 'function') return false;
    if (this.sockets.has(fd)) return true;
    this.native.pumpAddSocket(this.pump, fd);
    handle.recvStop();
    this.sockets.set(fd, { socket, listener, handle: handle as RecvHandle });
    // werift closes its sockets with the connection: the pump lets go of the descriptor then
    socket.once('close', () => this.removeSocket(fd, false));
    return true;
  }

  /** Gives a socket back to Node (`restart`: Node reads it again). */
  removeSocket(fd: number, restart = true): void {
    const handed = this.sockets.get(fd);
    if (handed === undefined) return;
    this.sockets.delete(fd);
    if (!this.closed) this.native.pumpRemoveSocket(this.pump, fd);
    if (restart) handed.handle.recvStart();
  }

  /** What the native thread counted, and the replay's mismatches. */
  counters(): { sent: number; sendFailures: number; held: number; dropped: number; mismatches: number } {
    if (this.closed) return { sent: 0, sendFailures: 0, held: 0, dropped: 0, mismatches: this.mismatches };
    const s = this.native.pumpStats(this.pump);
    return { sent: s.sent, sendFailures: s.sendFailures, held: s.held, dropped: s.dropped, mismatches: this.mismatches };
  }

  newRouteId(): number {
    return this.nextRouteId++;
  }

  /**
   * Delivers what the pump has queued for batching, before the caller changes forwarding state or
   * reads what the packets leave behind (the retransmission buffer on a NACK).
   */
  drain(): void {
    if (this.closed) return;
    const items = this.native.pumpDrain(this.pump);
    if (items.length > 0) this.dispatch(items);
  }

  close(): void {
    if (this.closed) return;
    for (const fd of [...this.sockets.keys()]) this.removeSocket(fd);
    this.closed = true;
    this.native.pumpClose(this.pump);
  }

  private dispatch(items: readonly PumpItem[]): void {
    for (const item of items) this.queue.push(item);
    // a drain during a dispatch (an RTCP packet delivered by it) leaves its items to this loop,
    // which delivers them after the current one: arrival order is kept
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      let item: PumpItem | undefined;
      while ((item = this.queue.shift()) !== undefined) {
        const handed = this.sockets.get(item.fd);
        if (handed === undefined) continue;
        this.replaying = item.kind === 2 ? item : undefined;
        try {
          handed.listener(item);
        } catch {
          this.failed++;
        } finally {
          this.replaying = undefined;
        }
      }
    } finally {
      this.dispatching = false;
    }
  }
}

/** The pump of this thread, created on first use when the addon has one. */
let threadPump: MediaPump | undefined;

export function mediaPump(native: NativeAddon | undefined, batchMs: number): MediaPump | undefined {
  if (native === undefined || typeof native.pumpCreate !== 'function') return undefined;
  threadPump ??= new MediaPump(native, batchMs);
  return threadPump;
}
