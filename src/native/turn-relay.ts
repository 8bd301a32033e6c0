/**
 * The native TURN relay engine (native/src/turn_relay*.cc, docs/adr/0009-native-turn-relay.md):
 * typings of the addon's turnRelay* functions and a wrapper holding one engine per thread. The
 * engine polls its sockets in this thread's event loop (a listening socket per family, the relay
 * sockets of the UDP allocations it was given), relays ChannelData and Data indications of those
 * allocations, and hands every other client datagram to `onDatagrams`.
 */
import type { Socket } from 'node:dgram';
import { loadNative, udpSocketFd } from './index.js';

type Engine = { readonly __brand: 'NativeTurnRelay' };

interface TurnRelayAddon {
  turnRelayCreate(onDatagrams: (batch: unknown[]) => void): Engine;
  turnRelayListen(e: Engine, ip: string, port: number, reusePort: boolean): number;
  turnRelaySendFrom(e: Engine, ip: string, port: number, data: Buffer): number;
  turnRelayBind(e: Engine, ip: string, port: number): number;
  turnRelayCloseFd(e: Engine, fd: number): void;
  turnRelayAdopt(e: Engine, alloc: number, fd4: number, fd6: number, clientIp: string, clientPort: number, bytesPerSecond: number, own: boolean): number;
  turnRelayToPeer(e: Engine, alloc: number, ip: string, port: number, data: Buffer): number;
  turnRelayInstall(e: Engine, alloc: number, permissions: (string | number)[], channels: (string | number)[]): boolean;
  turnRelayFree(e: Engine, alloc: number): void;
  turnRelayStats(e: Engine): number[];
  turnRelayClose(e: Engine): void;
  /** MESSAGE-INTEGRITY at `at` of `message`: checked (true when it matches) or, with check false, written. */
  turnStunIntegrity(key: Buffer, message: Buffer, at: number, check: boolean): boolean;
}

/** A datagram from a client that the engine did not relay itself. */
export interface NativeDatagram {
  readonly ip: string;
  readonly port: number;
  readonly data: Buffer;
}

export interface NativeRelayStats {
  packetsToPeer: number;
  bytesToPeer: number;
  packetsToClient: number;
  bytesToClient: number;
  /** Drops by reason, as TurnStats names them. */
  drops: Record<string, number>;
}

export interface RelayEntries {
  /** Peer IP → expiry (ms since the epoch). */
  readonly permissions: ReadonlyMap<string, number>;
  readonly channels: Iterable<{ readonly number: number; readonly peer: { readonly ip: string; readonly port: number }; readonly expires: number }>;
}

/** A relay socket bound by the engine, not yet adopted: closing it closes the descriptor. */
export class NativeRelaySocket {
  private open = true;

  constructor(readonly fd: number, private readonly closeFd: (fd: number) => void) {}

  /** The engine owns the descriptor now (adopt). */
  release(): number {
    this.open = false;
    return this.fd;
  }

  close(): void {
    if (this.open) this.closeFd(this.fd);
    this.open = false;
  }
}

/** A relay socket handed to adopt(): bound by the engine, or a bound dgram socket. */
export type RelaySocket = NativeRelaySocket | Socket;

/** Drop counters, from index 4 of turnRelayStats (turn::Counter in native/src/turn_relay.h). */
const DROP_NAMES = ['no_permission', 'bandwidth', 'truncated', 'native_send_error', 'native_callback_error'] as const;

function addon(): TurnRelayAddon | undefined {
  const a = loadNative().addon as unknown as Partial<TurnRelayAddon> | undefined;
  return a && typeof a.turnRelayCreate === 'function' ? (a as TurnRelayAddon) : undefined;
}

/** The addon's STUN MESSAGE-INTEGRITY (native/src/turn_relay_stun.cc), or undefined when it is not built. */
export function nativeStunIntegrity(): TurnRelayAddon['turnStunIntegrity'] | undefined {
  const a = loadNative().addon as unknown as Partial<TurnRelayAddon> | undefined;
  return typeof a?.turnStunIntegrity === 'function' ? a.turnStunIntegrity : undefined;
}

/** Whether this build of the addon has the TURN relay engine. */
export function nativeTurnRelayAvailable(): boolean {
  return addon() !== undefined;
}

export class NativeTurnRelay {
  private readonly engine: Engine;
  private closed = false;

  private constructor(private readonly n: TurnRelayAddon, onDatagrams: (d: NativeDatagram) => void) {
    this.engine = n.turnRelayCreate((batch) => {
      for (let i = 0; i + 3 < batch.length; i += 4) {
        onDatagrams({ ip: batch[i + 1] as string, port: batch[i + 2] as number, data: batch[i + 3] as Buffer });
      }
    });
  }

  /** The engine of this thread, or undefined when the addon (or its TURN part) is not built. */
  static create(onDatagrams: (d: NativeDatagram) => void): NativeTurnRelay | undefined {
    const n = addon();
    return n && new NativeTurnRelay(n, onDatagrams);
  }

  /** Bind a listening socket (one per family); the bound port, or a negative errno. */
  listen(ip: string, port: number, reusePort: boolean): number {
    return this.n.turnRelayListen(this.engine, ip, port, reusePort);
  }

  /** A datagram to a client from the listening socket of its family. */
  sendFrom(ip: string, port: number, data: Buffer): boolean {
    return !this.closed && this.n.turnRelaySendFrom(this.engine, ip, port, data) >= 0;
  }

  /** A UDP relay socket bound to ip:port by the engine, or undefined when the port is taken (or on error). */
  bind(ip: string, port: number): NativeRelaySocket | undefined {
    if (this.closed) return undefined;
    const fd = this.n.turnRelayBind(this.engine, ip, port);
    return fd >= 0 ? new NativeRelaySocket(fd, (d) => this.n.turnRelayCloseFd(this.engine, d)) : undefined;
  }

  /**
   * Relay for allocation `alloc` through its relay sockets. The engine takes sockets it bound
   * (bind(), whatever the outcome) and duplicates of dgram sockets' descriptors (the caller closes
   * the dgram sockets afterwards). False when it could not.
   */
  adopt(alloc: number, udp4: RelaySocket | undefined, udp6: RelaySocket | undefined, client: { ip: string; port: number }, bytesPerSecond: number): boolean {
    if (this.closed) return false;
    const own = udp4 instanceof NativeRelaySocket || udp6 instanceof NativeRelaySocket;
    const kinds = [udp4, udp6].filter((s) => s !== undefined).map((s) => s instanceof NativeRelaySocket);
    if (kinds.some((k) => k !== own)) return false; // both bound the same way
    const fd = (s: RelaySocket | undefined): number | undefined => (s === undefined ? -1 : s instanceof NativeRelaySocket ? s.release() : udpSocketFd(s));
    const fd4 = fd(udp4);
    const fd6 = fd(udp6);
    if (fd4 === undefined || fd6 === undefined) return false;
    return this.n.turnRelayAdopt(this.engine, alloc, fd4, fd6, client.ip, client.port, bytesPerSecond, own) === 0;
  }

  /**
   * Sends `data` (a Send indication's, accepted by the core) from the allocation's relay socket,
   * spending the bandwidth budget the engine's own ChannelData relaying spends: over it, the datagram
   * is dropped and counted as `bandwidth`.
   */
  toPeer(alloc: number, ip: string, port: number, data: Buffer): void {
    if (!this.closed) this.n.turnRelayToPeer(this.engine, alloc, ip, port, data);
  }

  /** Replace what the engine relays for `alloc` with the allocation's current permissions and channels. */
  install(alloc: number, entries: RelayEntries): void {
    if (this.closed) return;
    const perms: (string | number)[] = [];
    for (const [ip, expires] of entries.permissions) perms.push(ip, expires);
    const chans: (string | number)[] = [];
    for (const c of entries.channels) chans.push(c.number, c.peer.ip, c.peer.port, c.expires);
    this.n.turnRelayInstall(this.engine, alloc, perms, chans);
  }

  free(alloc: number): void {
    if (!this.closed) this.n.turnRelayFree(this.engine, alloc);
  }

  stats(): NativeRelayStats {
    const s = this.closed ? [] : this.n.turnRelayStats(this.engine);
    const drops: Record<string, number> = {};
    DROP_NAMES.forEach((name, i) => {
      const v = s[4 + i] ?? 0;
      if (v > 0) drops[name] = v;
    });
    return { packetsToPeer: s[0] ?? 0, bytesToPeer: s[1] ?? 0, packetsToClient: s[2] ?? 0, bytesToClient: s[3] ?? 0, drops };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.n.turnRelayClose(this.engine);
  }
}
