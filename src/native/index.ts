/**
 * Parley's native fast path (native/, docs/adr/0008-native-fast-path.md), loaded when `npm install`
 * built it. Every caller keeps a TypeScript path for when it is absent (no toolchain at install
 * time, `rtc.native: false`), so the addon changes speed, never behaviour.
 */
import type { Socket } from 'node:dgram';
import { createRequire } from 'node:module';

/** An SRTP sender whose cipher (and HMAC) state is keyed once: opaque to TypeScript. */
export type NativeSrtpSender = { readonly __brand: 'NativeSrtpSender' };
export type NativeSrtpReceiver = { readonly __brand: 'NativeSrtpReceiver' };

export const NATIVE_SRTP_GCM = 0;
export const NATIVE_SRTP_AES_CM = 1;

export interface NativeAddon {
  /** profile 0: AES-128-GCM (12-byte salt); 1: AES-CM-128 + HMAC-SHA1-80 (14-byte salt, 20-byte auth key). */
  srtpSender(profile: number, key: Buffer, salt: Buffer, authKey?: Buffer): NativeSrtpSender;
  /** Encrypts `packet[headerLength, length - tag)` in place and writes the tag into the last bytes. */
  srtpSeal(sender: NativeSrtpSender, packet: Buffer, headerLength: number, roc: number): void;
  /**
   * srtpSeal on `buffer[0, length)` (default: all of it), then one sendto on `fd`: bytes sent or
   * -errno. The datagram has left when this returns, so `buffer` can be reused.
   */
  srtpSealSend(sender: NativeSrtpSender, buffer: Buffer, headerLength: number, roc: number, fd: number, sockaddr: Buffer, length?: number): number;
  /** Same keys, for incoming packets of the remote side's session. */
  srtpReceiver(profile: number, key: Buffer, salt: Buffer, authKey?: Buffer): NativeSrtpReceiver;
  /**
   * Authenticates and decrypts `packet` (header, encrypted payload, tag) in place: the length of
   * header + plaintext, or -1 when it does not authenticate.
   */
  srtpOpen(receiver: NativeSrtpReceiver, packet: Buffer, headerLength: number, roc: number): number;
  /** A sockaddr for an IP literal, or undefined for anything else. */
  udpAddress(host: string, port: number): Buffer | undefined;
  /** One sendto on `fd`: bytes sent or -errno. */
  udpSend(fd: number, sockaddr: Buffer, data: Buffer): number;
}

export interface NativeStatus {
  readonly addon: NativeAddon | undefined;
  /** Why the addon is not loaded. */
  readonly reason?: string;
}

let status: NativeStatus | undefined;

/** The addon, loaded once per thread (each worker thread loads its own instance). */
export function loadNative(): NativeStatus {
  if (status !== undefined) return status;
  const require = createRequire(import.meta.url);
  try {
    // same relative path from src/native/ (tests) and dist/native/ (the build)
    status = { addon: require('../../native/build/Release/parley_native.node') as NativeAddon };
  } catch (err) {
    status = { addon: undefined, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
  return status;
}

/** The addon when `enabled` and built, else undefined. */
export function nativeAddon(enabled: boolean): NativeAddon | undefined {
  return enabled ? loadNative().addon : undefined;
}

/**
 * The file descriptor of a bound dgram socket (Unix), read without the deprecated `_handle`
 * accessor, or undefined when the socket is not bound or the platform has none.
 */
export function udpSocketFd(socket: Socket): number | undefined {
  const state = stateOf(socket);
  const fd = (state?.handle as { fd?: unknown } | undefined)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * The libuv handle object behind a dgram socket (undefined once the socket is closed: Node drops it
 * in `close()` itself, before the 'close' event), read without a call into C++: a per-packet check
 * that a descriptor taken earlier with `udpSocketFd` still belongs to this socket.
 */
export function udpSocketHandle(socket: Socket): unknown {
  return stateOf(socket)?.handle ?? undefined;
}

let stateSymbol: symbol | undefined;
function stateOf(socket: Socket): { handle?: unknown } | undefined {
  stateSymbol ??= Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  if (stateSymbol === undefined) return undefined;
  return (socket as unknown as Record<symbol, { handle?: unknown } | undefined>)[stateSymbol];
}
