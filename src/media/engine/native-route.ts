/**
 * Where the native send path writes a subscriber's datagrams: the descriptor of the UDP socket of
 * the transport's nominated ICE pair and the pair's remote address as a sockaddr, looked up once
 * per pair. Undefined whenever werift would not send plainly on a UDP socket (no nominated pair,
 * ICE closed or failed, a TCP or TURN-relayed pair, a socket already closed): the caller then sends
 * through werift.
 */
import type { Socket } from 'node:dgram';
import type { RTCDtlsTransport } from 'werift';
import { udpSocketFd, udpSocketHandle, type NativeAddon } from '../../native/index.js';

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
  readonly socket: Socket;
  /** The socket's handle when `fd` was read: another handle (or none) means the descriptor is not ours. */
  readonly handle: unknown;
}

/** The route of one connection, looked up again when its nominated pair changes. */
export class UdpRouteCache {
  private pair: PairLike | undefined;
  private route: UdpRoute | undefined;

  constructor(private readonly native: NativeAddon) {}

  get(dtls: RTCDtlsTransport): UdpRoute | undefined {
    const connection = dtls.iceTransport.connection as unknown as { nominated?: PairLike; state: string };
    const pair = connection.nominated;
    if (pair === undefined || connection.state === 'closed' || connection.state === 'failed') return undefined;
    if (pair !== this.pair) {
      this.pair = pair;
      this.route = lookUp(pair, this.native);
    }
    const route = this.route;
    // a closed socket has no descriptor any more (and its number may belong to another socket)
    if (route === undefined || route.transport.closed === true || udpSocketHandle(route.socket) !== route.handle) return undefined;
    return route;
  }
}

function lookUp(pair: PairLike, native: NativeAddon): UdpRoute | undefined {
  const transport = pair.protocol?.transport;
  const remote = pair.remoteAddr;
  if (transport?.type !== 'udp' || transport.socket === undefined || remote === undefined) return undefined;
  const fd = udpSocketFd(transport.socket);
  const handle = udpSocketHandle(transport.socket);
  const sockaddr = native.udpAddress(remote[0], remote[1]);
  if (fd === undefined || handle === undefined || sockaddr === undefined) return undefined;
  return { fd, sockaddr, pair, transport, socket: transport.socket, handle };
}
