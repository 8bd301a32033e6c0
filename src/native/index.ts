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

  /**
   * Starts a media pump (native/src/media_pump.cc): a thread that receives on the sockets given to
   * pumpAddSocket, forwards the steady state of registered ingresses to armed routes, and hands every
   * datagram to `onItems` in arrival order (forwarded ones of a batching ingress within `batchMs`).
   * The callback never keeps the event loop alive.
   */
  pumpCreate(onItems: (items: PumpItem[]) => void, batchMs: number): NativePump;
  /** Polls a dup of `fd` (the caller stops Node's own reading). */
  pumpAddSocket(pump: NativePump, fd: number): void;
  /** Stops polling `fd` and closes the dup. */
  pumpRemoveSocket(pump: NativePump, fd: number): void;
  /**
   * Registers (or replaces, not held) an incoming SSRC: its SRTP is opened with `receiver`, which
   * from then on only the pump uses; `audioLevelId` is the publisher's negotiated id, 0 for none.
   */
  pumpSetIngress(
    pump: NativePump,
    ssrc: number,
    payloadType: number,
    receiver: NativeSrtpReceiver,
    roc: number,
    lastSeq: number,
    audioLevelId: number,
    batch: boolean,
  ): void;
  pumpRemoveIngress(pump: NativePump, ssrc: number): void;
  /** Ends a hold (a kind 1 item): the next packet forwarded must follow `lastSeq`. */
  pumpRelease(pump: NativePump, ssrc: number, roc: number, lastSeq: number, batch: boolean): void;
  /** Whether the ingress's forwarded packets reach JavaScript in batches (true) or each at once. */
  pumpSetBatch(pump: NativePump, ssrc: number, batch: boolean): void;
  /** Adds or replaces a route; `sender` is used only by the pump from then on. */
  pumpArm(pump: NativePump, routeId: number, ingressSsrc: number, sender: NativeSrtpSender, fd: number, sockaddr: Buffer, params: PumpRouteParams): void;
  /** Removes a route: its outgoing rollover state, or undefined when it was not armed. */
  pumpDisarm(pump: NativePump, routeId: number): { roc: number; lastSeq: number } | undefined;
  /** Every item not yet handed to `onItems` (queued for a batch or not), in arrival order. */
  pumpDrain(pump: NativePump): PumpItem[];
  /** held: packets that put their ingress on hold; dropped: items over the cap waiting for JavaScript. */
  pumpStats(pump: NativePump): {
    received: number;
    forwarded: number;
    sent: number;
    sendFailures: number;
    authFailures: number;
    held: number;
    dropped: number;
  };
  /** Stops and joins the thread and closes the dups; no callback after it; later calls throw. */
  pumpClose(pump: NativePump): void;
}

/** A media pump (pumpCreate): opaque to TypeScript. */
export type NativePump = { readonly __brand: 'NativePump' };

/** A datagram the media pump received, handed to JavaScript. */
export interface PumpItem {
  /** kind 0: the datagram as received; kind 1 and 2: RTP header || plaintext (the SRTP tag removed). */
  data: Buffer;
  /** The sender. */
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  /** The fd given to pumpAddSocket that it came on. */
  fd: number;
  /** Wall clock at receive, ms since the epoch (fractional), like Date.now(). */
  arrivalMs: number;
  /** 0 raw; 1 SRTP of an ingress decrypted but not forwarded (the ingress is now held); 2 decrypted and forwarded. */
  kind: 0 | 1 | 2;
  /** kind 2: the ids of the routes it was sent to. */
  routes?: number[];
  /** kind 1 and 2: the rollover counter it was decrypted with. */
  roc: number;
}

/** What one route changes in an ingress's packets (pumpArm). */
export interface PumpRouteParams {
  ssrc: number;
  payloadType: number;
  /** Added to the sequence number (0..65535). */
  seqDelta: number;
  /** Added to the timestamp (uint32). */
  tsDelta: number;
  /** Outgoing rollover state of `ssrc` (werift's sender state). */
  roc: number;
  lastSeq: number;
  /** The subscriber's negotiated ids sorted by id: kind 0 mid, 1 abs-send-time, 2 audio level. */
  extensions: Array<[id: number, kind: 0 | 1 | 2]>;
  /** The mid value (ascii), written when a mid slot exists. */
  mid?: Buffer;
  /** 0 none, 1 VP8, 2 VP9. */
  pictureCodec: 0 | 1 | 2;
  /** Added to the incoming PictureID (mod 2^7 or 2^15 by its width). */
  pictureIdDelta: number;
  /** Added to the incoming TL0PICIDX (mod 256). */
  tl0Delta: number;
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
