/**
 * PumpRoute (ADR 0011) against a real media pump: which replayed packets count as already sent, and
 * under which arming, across a re-arm with other offsets.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { RTCDtlsTransport } from 'werift';
import { MediaPump } from '../../../src/media/engine/media-pump.js';
import { OutgoingHeaderWriter } from '../../../src/media/engine/outgoing-header.js';
import { PumpRoute } from '../../../src/media/engine/pump-route.js';
import type { WeriftSrtpSender } from '../../../src/media/engine/werift-srtp.js';
import { NATIVE_SRTP_GCM, udpSocketFd, type PumpItem } from '../../../src/native/index.js';
import { buildRtpPacket } from '../../../src/media/rtp/header.js';
import type { PacketRewrite } from '../../../src/media/rtp/rewrite.js';
import { requireNative } from '../native/require-native.js';

const native = requireNative();
const IN_SSRC = 0x1111;
const OUT_SSRC = 0x2222;

describe('PumpRoute', () => {
  const pump = new MediaPump(native, 10_000);
  const socket = dgram.createSocket('udp4');
  afterAll(() => {
    pump.close();
    socket.close();
  });

  /** The parts of WeriftSrtpSender a route uses, with werift's rollover rule reduced to a log. */
  function sender(fd: number): { srtp: WeriftSrtpSender; advanced: number[] } {
    const advanced: number[] = [];
    const state = { ssrc: OUT_SSRC, rolloverCounter: 0, lastSequenceNumber: 0, rolloverHasProcessed: true };
    const srtp = {
      nativeRoute: () => ({ fd, sockaddr: native.udpAddress('127.0.0.1', 9)! }),
      pumpSender: () => native.srtpSender(NATIVE_SRTP_GCM, randomBytes(16), randomBytes(12)),
      rolloverState: () => state,
      advanceRollover: (_ssrc: number, seq: number) => advanced.push(seq),
    } as unknown as WeriftSrtpSender;
    return { srtp, advanced };
  }

  const packet = (seq: number, ts: number): Buffer => buildRtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: ts, ssrc: IN_SSRC, payload: Buffer.alloc(20) });
  const rewrite = (seq: number, ts: number): PacketRewrite => ({ sequenceNumber: seq, timestamp: ts, ssrc: OUT_SSRC, payloadType: 100 });
  const replaying = (routes: number[]): PumpItem => ({ data: Buffer.alloc(0), address: '', port: 0, family: 'IPv4', fd: 0, arrivalMs: 0, kind: 2, routes, roc: 0 });

  it('skips the send of packets the pump sent under the current or the retired arming, checking each against its own offsets', async () => {
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const { srtp, advanced } = sender(udpSocketFd(socket)!);
    const route = new PumpRoute(pump);
    const dtls = {} as RTCDtlsTransport;
    const header = new OutgoingHeaderWriter(new Map());
    let nextId = 0;
    const newRouteId = pump.newRouteId.bind(pump);
    pump.newRouteId = () => (nextId = newRouteId());

    route.arm(dtls, srtp, header, undefined, packet(1000, 5000), rewrite(10, 50)); // offsets +(-990), +(-4950)
    const first = nextId;
    expect(route.armed).toBe(true);
    route.arm(dtls, srtp, header, undefined, packet(1001, 8000), rewrite(11, 3050)); // the same offsets: kept
    expect(nextId).toBe(first);

    pump.replaying = replaying([first]);
    expect(route.servedByPump(packet(1002, 11000), rewrite(12, 6050))).toBe(true);
    expect(advanced).toEqual([12]);

    // other offsets (the munger closed a gap): a new arming; the first one's packets still replaying
    route.arm(dtls, srtp, header, undefined, packet(1003, 14000), rewrite(12, 9050));
    const second = nextId;
    expect(second).not.toBe(first);
    pump.replaying = replaying([first]);
    expect(route.servedByPump(packet(1002, 11000), rewrite(12, 6050))).toBe(true); // sent under the first
    pump.replaying = replaying([second]);
    expect(route.servedByPump(packet(1004, 17000), rewrite(13, 12050))).toBe(true);
    pump.replaying = replaying([]);
    expect(route.servedByPump(packet(1005, 20000), rewrite(14, 15050))).toBe(false); // not sent by the pump
    pump.replaying = undefined;
    expect(route.servedByPump(packet(1005, 20000), rewrite(14, 15050))).toBe(false);
    expect(pump.mismatches).toBe(0);

    // a decision that differs from the retired arming: counted, the current arming stays
    pump.replaying = replaying([first]);
    expect(route.servedByPump(packet(1006, 23000), rewrite(99, 18050))).toBe(true);
    expect(pump.mismatches).toBe(1);
    expect(route.armed).toBe(true);
    // ... from the current one: counted, and the route is disarmed
    pump.replaying = replaying([second]);
    expect(route.servedByPump(packet(1006, 23000), rewrite(99, 18050))).toBe(true);
    expect(pump.mismatches).toBe(2);
    expect(route.armed).toBe(false);
    pump.replaying = undefined;
  });
});
