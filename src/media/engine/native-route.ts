/**
 * Where the native send path writes a subscriber's datagrams: the descriptor of the UDP socket of
 * the transport's nominated ICE pair and the pair's remote address as a sockaddr, looked up once
 * per pair. Undefined whenever werift would not send plainly on a UDP socket (no nominated pair,
 * ICE closed or failed, a TCP or TURN-relayed pair, a socket already closed): the caller then sends
 * through werift.
 */
import type { Socket } from 'node:dgram';
import type { RTCDtlsTransport } from 'werift';
import { udpSocketFd, type NativeAddon } from '../../native/index.js';

/** The parts of werift's CandidatePair, StunProtocol and UdpTransport read here (not exported by werift). */
interface PairLike {
  packetsSent: number;
  bytesSent: number;
  readonly remoteAddr?: readonly [string, number];
  readonly protocol?: { readonly transport?: { readonly type?: string; readonly closed?: boolean; readonly socket?: Socket } };
}

export interface UdpRoute {
  readonly fd: number;
  readonly sockaddr: Buffer;
  readonly pair: PairLike;
  readonly transport: { readonly closed?: boolean };
}

const routes = new WeakMap<PairLike, UdpRoute | null>();

export function udpRoute(dtls: RTCDtlsTransport, native: NativeAddon): UdpRoute | undefined {
  const connection = dtls.iceTransport.connection as unknown as { nominated?: PairLike; state: string };
  const pair = connection.nominated;
  if (pair === undefined || connection.state === 'closed' || connection.state === 'failed') return undefined;
  let route = routes.get(pair);
  if (route === undefined) {
    route = lookUp(pair, native) ?? null;
    routes.set(pair, route);
  }
  if (route === null || route.transport.closed === true) return undefined;
  return route;
}

function lookUp(pair: PairLike, native: NativeAddon): UdpRoute | undefined {
  const transport = pair.protocol?.transport;
  const remote = pair.remoteAddr;
  if (transport?.type !== 'udp' || transport.socket === undefined || remote === undefined) return undefined;
  const fd = udpSocketFd(transport.socket);
  const sockaddr = native.udpAddress(remote[0], remote[1]);
  if (fd === undefined || sockaddr === undefined) return undefined;
  return { fd, sockaddr, pair, transport };
}
