/**
 * Publisher (werift peer) -> Parley engine (WeriftTransport) -> TrackFanout/DownTrack ->
 * Parley engine (WeriftTransport) -> subscriber (werift peer), all in one process over loopback
 * ICE, with synthetic VP8-like RTP.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { vp8Packet } from '../../unit/media/helpers.js';
import {
  GenericNack,
  RTCPeerConnection,
  RtcpTransportLayerFeedback,
  type RTCRtpTransceiver,
  type RtpPacket,
} from 'werift';
import { WeriftTransport, parleyCodecs, parleyHeaderExtensions, type IncomingTrack } from '../../../src/media/engine/index.js';
import { requireNative } from '../../unit/native/require-native.js';
import { mediaPump } from '../../../src/media/engine/media-pump.js';
import { DownTrack, SubscriberRtcpRouter, TrackFanout, monotonicClock } from '../../../src/media/forwarding/index.js';
import { buildPli, parseRtpHeader, rtpPayload } from '../../../src/media/rtp/index.js';
import { localAnswer, localOffer, nextEvent, trickle, waitFor } from './werift-helpers.js';

/** Synthetic VP8 (descriptor + frame header + filler) as the publisher sends it. */
const vp8Frame = (seq: number, ts: number, keyframe: boolean): Buffer => vp8Packet({ ssrc: 0x1234, seq, ts, keyframe, size: 200 });

const native = requireNative();

// without the media pump every packet enters JavaScript; with it (ADR 0011) the steady state is
// forwarded by the pump's thread and replayed through JavaScript in batches
describe.each([{ pumped: false }, { pumped: true }])('werift loopback through the forwarding core (media pump: $pumped)', ({ pumped }) => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
  });
  const pump = pumped ? mediaPump(native, 20) : undefined;
  if (pumped && pump === undefined) throw new Error('the addon has no media pump');

  it('forwards with rewritten SSRC and continuous seq, answers NACK from the buffer, throttles PLI', async () => {
    // --- publisher peer and Parley's publisher-side transport
    const publisher = new RTCPeerConnection({ codecs: parleyCodecs(), headerExtensions: parleyHeaderExtensions() });
    closers.push(() => publisher.close());
    const pubTransceiver = publisher.addTransceiver('video', { direction: 'sendonly' });
    const pubSide = new WeriftTransport({ id: 'pub', native, pump });
    closers.push(() => pubSide.close());
    trickle(publisher, pubSide);
    const chat = publisher.createDataChannel('chat');
    const fromServer: string[] = [];
    chat.onMessage.subscribe((m) => fromServer.push(m.toString()));
    const fromPublisher: string[] = [];
    pubSide.on('data', (m) => fromPublisher.push(`${m.label}:${m.data.toString()}`));

    let plisAtPublisher = 0;
    pubTransceiver.sender.onPictureLossIndication.subscribe(() => plisAtPublisher++);

    const fanout = new TrackFanout({
      clock: monotonicClock,
      codec: 'vp8',
      keyframeIntervalMs: 1000,
      sendPli: (mediaSsrc) => pubSide.sendRtcp(buildPli(1, mediaSsrc)),
    });
    const incoming = nextEvent<IncomingTrack>((cb) => pubSide.on('track', cb));
    pubSide.on('track', (track) => {
      track.onRtp((packet) => fanout.writeRtp(packet, 0));
    });

    await pubSide.setRemoteDescription(await localOffer(publisher));
    await publisher.setRemoteDescription(await pubSide.createAnswer());

    // --- subscriber peer and Parley's subscriber-side transport
    const subSide = new WeriftTransport({ id: 'sub', native, pump });
    closers.push(() => subSide.close());
    const out = subSide.addOutgoing('video', { mimeType: 'video/VP8' });
    const subscriber = new RTCPeerConnection({ codecs: parleyCodecs(), headerExtensions: parleyHeaderExtensions() });
    closers.push(() => subscriber.close());
    trickle(subscriber, subSide);
    const received: RtpPacket[] = [];
    const rawAtSubscriber: RtpPacket[] = [];
    let subTransceiver: RTCRtpTransceiver | undefined;
    subscriber.onRemoteTransceiverAdded.subscribe((t) => {
      subTransceiver = t;
      t.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => received.push(rtp.clone())));
    });
    await subscriber.setRemoteDescription(await subSide.createOffer());
    await subSide.setRemoteDescription(await localAnswer(subscriber));

    await Promise.all([
      waitFor(() => publisher.connectionState === 'connected', 15_000, 'publisher connected'),
      waitFor(() => subscriber.connectionState === 'connected', 15_000, 'subscriber connected'),
    ]);
    subscriber.dtlsTransports[0]?.onRtp.subscribe((rtp) => rawAtSubscriber.push(rtp.clone()));

    const codec = out.codec;
    expect(codec?.mimeType.toLowerCase()).toBe('video/vp8');
    const downTrack = new DownTrack({
      kind: 'video',
      codec: 'vp8',
      ssrc: out.ssrc,
      ...(codec !== undefined ? { payloadType: codec.payloadType } : {}),
      ...(out.rtx !== undefined ? { rtx: out.rtx } : {}),
      clockRate: 90000,
      clock: monotonicClock,
      sinks: {
        forwardRtp: (p, rewrite, steady) => out.sendRtp(p, rewrite, steady),
        sendRtp: (p) => out.sendRtp(p),
        requestKeyframe: (layer) => fanout.requestKeyframe(layer),
        beforeChange: () => out.beforeChange?.(),
      },
    });
    const router = new SubscriberRtcpRouter();
    router.add(downTrack);
    subSide.on('rtcp', (buf) => router.route(buf));
    fanout.add(downTrack);
    downTrack.start();

    // --- the publisher sends delta frames until it is asked for a keyframe
    let seq = 65_500; // the publisher's seq wraps during the test
    let ts = 0xffff0000;
    let wantKeyframe = false;
    pubTransceiver.sender.onPictureLossIndication.subscribe(() => (wantKeyframe = true));
    const sendTimer = setInterval(() => {
      const keyframe = wantKeyframe;
      wantKeyframe = false;
      void pubTransceiver.sender.sendRtp(vp8Frame(seq, ts, keyframe));
      seq = (seq + 1) & 0xffff;
      ts = (ts + 3000) >>> 0;
    }, 10);
    closers.push(async () => clearInterval(sendTimer));

    await incoming;

    // data channel messages both ways through the boundary
    await waitFor(() => chat.readyState === 'open', 10_000, 'data channel open');
    chat.send('hello');
    await waitFor(() => fromPublisher.length > 0, 5000, 'data at the server');
    expect(fromPublisher).toEqual(['chat:hello']);
    expect(pubSide.sendData('chat', 'stamped')).toBe(true);
    expect(pubSide.sendData('nope', 'x')).toBe(false);
    await waitFor(() => fromServer.length > 0, 5000, 'data at the publisher');
    expect(fromServer).toEqual(['stamped']);

    await waitFor(() => received.length >= 60, 15_000, '60 packets at the subscriber');
    clearInterval(sendTimer);
    await waitFor(() => plisAtPublisher >= 1, 5000, 'first PLI at the publisher');

    // rewritten SSRC, continuous sequence numbers, the first packet a keyframe
    const ssrcs = new Set(received.map((p) => p.header.ssrc));
    expect([...ssrcs]).toEqual([out.ssrc]);
    expect(out.ssrc).not.toBe(0x1234);
    const first = received[0];
    const firstRaw = first?.serialize() ?? Buffer.alloc(0);
    const firstHeader = parseRtpHeader(firstRaw);
    expect(firstHeader !== undefined && rtpPayload(firstRaw, firstHeader)[1]).toBe(0x00); // VP8 key frame
    for (let i = 1; i < received.length; i++) {
      const prev = received[i - 1]?.header.sequenceNumber ?? 0;
      expect(received[i]?.header.sequenceNumber).toBe((prev + 1) & 0xffff);
    }
    expect(downTrack.stats.drops['waiting-keyframe'] ?? 0).toBeGreaterThan(0);
    // the outgoing sequence numbers wrapped, and werift's rollover state for the SSRC followed, also
    // when the pump sent the packets: what Parley seals on it later (a retransmission) must agree
    expect(received.at(-1)!.header.sequenceNumber).toBeLessThan(received[0]!.header.sequenceNumber);
    const localContext = (subSide.pc.dtlsTransports[0]?.srtp as unknown as { localContext: { getSrtpSsrcState(ssrc: number): { rolloverCounter: number } } }).localContext;
    expect(localContext.getSrtpSsrcState(out.ssrc).rolloverCounter).toBe(1);
    // both directions through the native addon: the publisher's SRTP opened, the subscriber's sealed
    if (pumped) {
      // the pump forwarded most of them (JavaScript sent the first ones, and those after a hold);
      // JavaScript counts a forwarded packet when it replays it, up to one batch later
      pump?.drain();
      expect(subSide.sentPumped).toBeGreaterThan(received.length / 2);
      expect(subSide.sentNative + subSide.sentPumped).toBeGreaterThanOrEqual(received.length);
      expect(pubSide.fastReceive.takenFromPump).toBeGreaterThan(received.length / 2);
      expect(pump?.mismatches).toBe(0);
    } else {
      expect(pubSide.receivedNative).toBeGreaterThanOrEqual(received.length);
      expect(subSide.sentNative).toBeGreaterThanOrEqual(received.length);
    }

    // NACK from the subscriber, answered from the down-track's buffer (RTX when negotiated)
    // a recent packet: the buffer keeps packets for 1 s
    const nacked = received[received.length - 3]?.header.sequenceNumber ?? -1;
    const receiver = subTransceiver?.receiver;
    if (receiver === undefined) throw new Error('no subscriber receiver');
    await receiver.dtlsTransport.sendRtcp([
      new RtcpTransportLayerFeedback({
        feedback: new GenericNack({ senderSsrc: receiver.rtcpSsrc, mediaSourceSsrc: out.ssrc, lost: [nacked] }),
      }),
    ]);
    await waitFor(() => downTrack.stats.retransmitted >= 1, 5000, 'NACK answered').catch((e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify(downTrack.stats)}`);
    });
    const rtx = out.rtx;
    if (rtx !== undefined) {
      await waitFor(
        () => rawAtSubscriber.some((p) => p.header.ssrc === rtx.ssrc && p.payload.readUInt16BE(0) === nacked),
        5000,
        'RTX packet carrying the OSN',
      );
    } else {
      await waitFor(() => received.filter((p) => p.header.sequenceNumber === nacked).length >= 2, 5000, 'retransmission');
    }

    // a burst of PLIs from the subscriber reaches the publisher at most once per interval
    const before = plisAtPublisher;
    for (let i = 0; i < 5; i++) await receiver.sendRtcpPLI(out.ssrc);
    await waitFor(() => fanout.throttle.stats.throttled + fanout.throttle.stats.sent >= 6, 5000, 'PLIs seen by the fan-out');
    await waitFor(() => plisAtPublisher === fanout.throttle.stats.sent, 5000, 'every PLI let through to arrive');
    expect(plisAtPublisher - before).toBeLessThanOrEqual(1);
    expect(fanout.throttle.stats.throttled).toBeGreaterThanOrEqual(4);

    // after its first packet the stream skipped werift's receive chain (werift-fast-receive.ts),
    // and what that chain did for the publisher still happens: a gap in its sequence numbers gets
    // a NACK back, and its receiver reports count what arrived
    expect(pubSide.fastReceive.taken + pubSide.fastReceive.takenFromPump).toBeGreaterThanOrEqual(received.length - 1);
    if (!pumped) expect(pubSide.fastReceive.takenAtSocket).toBeGreaterThan(received.length / 2);
    const nacksAtPublisher: number[] = [];
    publisher.dtlsTransports[0]?.onRtcp.subscribe((rtcp) => {
      if (rtcp instanceof RtcpTransportLayerFeedback && rtcp.feedback instanceof GenericNack) nacksAtPublisher.push(...rtcp.feedback.lost);
    });
    const skipped = (seq + 1) & 0xffff;
    await pubTransceiver.sender.sendRtp(vp8Frame(seq, ts, false));
    await pubTransceiver.sender.sendRtp(vp8Frame(skipped + 1, ts + 3000, false));
    await waitFor(() => nacksAtPublisher.includes(skipped), 5000, 'NACK for the skipped packet at the publisher');
    const stats = await pubSide.pc.getStats();
    const inbound = [...stats.values()].find((s: { type: string }) => s.type === 'inbound-rtp') as { packetsReceived?: number } | undefined;
    expect(inbound?.packetsReceived ?? 0).toBeGreaterThanOrEqual(received.length);
  }, 30_000);
});
