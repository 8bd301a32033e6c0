/**
 * Simulcast receive through werift: a publisher peer offers three rid layers (a=simulcast:send
 * q;h;f) and sends synthetic RTP per layer with its own SSRC plus mid and rid header extensions.
 * Parley's WeriftTransport surfaces each rid as an IncomingTrack; the fan-out feeds one subscriber
 * that switches from the lowest to the highest layer, on a keyframe requested by PLI.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, RtpHeader, RtpPacket, type RtcpPacket } from 'werift';
import { WeriftTransport, parleyCodecs, parleyHeaderExtensions, type IncomingTrack } from '../../../src/media/engine/index.js';
import { DownTrack, SubscriberRtcpRouter, TrackFanout, layerFromRid, monotonicClock } from '../../../src/media/forwarding/index.js';
import { buildPli, buildRtpPacket, EXT_URI, parseRtcp, seqDiff } from '../../../src/media/rtp/index.js';
import { localAnswer, localOffer, trickle, waitFor } from './werift-helpers.js';

const RIDS = ['q', 'h', 'f'] as const;
const LAYER_SSRC = [0x5100, 0x5200, 0x5300];

describe('werift simulcast receive and layer switching', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
  });

  it('each rid becomes a track; the subscriber switches q -> f on a keyframe and stays continuous', async () => {
    const publisher = new RTCPeerConnection({ codecs: parleyCodecs(), headerExtensions: parleyHeaderExtensions() });
    closers.push(() => publisher.close());
    const pubTransceiver = publisher.addTransceiver('video', {
      direction: 'sendonly',
      sendEncodings: RIDS.map((rid) => ({ rid })),
    } as Parameters<RTCPeerConnection['addTransceiver']>[1]);
    const pubSide = new WeriftTransport({ id: 'pub' });
    closers.push(() => pubSide.close());
    trickle(publisher, pubSide);

    const fanout = new TrackFanout({
      clock: monotonicClock,
      codec: 'vp8',
      keyframeIntervalMs: 200,
      sendPli: (ssrc) => pubSide.sendRtcp(buildPli(1, ssrc)),
    });
    const tracks: IncomingTrack[] = [];
    pubSide.on('track', (track) => {
      if (track.rid === undefined) return; // werift's default track of the m-line
      tracks.push(track);
      const layer = layerFromRid(track.rid, RIDS);
      track.onRtp((packet) => fanout.writeRtp(packet, layer));
    });

    await pubSide.setRemoteDescription(await localOffer(publisher));
    await publisher.setRemoteDescription(await pubSide.createAnswer());

    const subSide = new WeriftTransport({ id: 'sub' });
    closers.push(() => subSide.close());
    const out = subSide.addOutgoing('video', { mimeType: 'video/VP8' });
    const subscriber = new RTCPeerConnection({ codecs: parleyCodecs(), headerExtensions: parleyHeaderExtensions() });
    closers.push(() => subscriber.close());
    trickle(subscriber, subSide);
    const received: RtpPacket[] = [];
    subscriber.onRemoteTransceiverAdded.subscribe((t) =>
      t.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => received.push(rtp.clone()))),
    );
    await subscriber.setRemoteDescription(await subSide.createOffer());
    await subSide.setRemoteDescription(await localAnswer(subscriber));
    await Promise.all([
      waitFor(() => publisher.connectionState === 'connected', 15_000, 'publisher connected'),
      waitFor(() => subscriber.connectionState === 'connected', 15_000, 'subscriber connected'),
    ]);

    // publisher: raw RTP per layer with mid + rid extensions; keyframe on the layer a PLI names
    const pubDtls = publisher.dtlsTransports[0];
    if (pubDtls === undefined) throw new Error('no publisher transport');
    const extmap = (uri: string): number => {
      const line = (publisher.localDescription?.sdp ?? '').split('\r\n').find((l) => l.startsWith('a=extmap:') && l.endsWith(` ${uri}`));
      return Number(line?.slice('a=extmap:'.length).split(' ')[0] ?? 0);
    };
    const midId = extmap(EXT_URI.mid);
    const ridId = extmap(EXT_URI.rid);
    expect(midId).toBeGreaterThan(0);
    expect(ridId).toBeGreaterThan(0);
    const keyframeDue = new Set<number>();
    const plisByLayerSsrc = new Map<number, number>();
    pubDtls.onRtcp.subscribe((p: RtcpPacket) => {
      for (const parsed of parseRtcp(p.serialize()) ?? []) {
        if (parsed.type !== 'pli') continue;
        keyframeDue.add(parsed.mediaSsrc);
        plisByLayerSsrc.set(parsed.mediaSsrc, (plisByLayerSsrc.get(parsed.mediaSsrc) ?? 0) + 1);
      }
    });
    const seqs = [65_520, 200, 40_000];
    let ts = 0;
    const sendTimer = setInterval(() => {
      ts = (ts + 3000) >>> 0;
      RIDS.forEach((rid, layer) => {
        const ssrc = LAYER_SSRC[layer] ?? 0;
        const key = keyframeDue.delete(ssrc);
        const seq = seqs[layer] ?? 0;
        seqs[layer] = (seq + 1) & 0xffff;
        const packet = RtpPacket.deSerialize(
          buildRtpPacket({
            payloadType: 96,
            sequenceNumber: seq,
            timestamp: (ts + layer * 1_000_000) >>> 0,
            ssrc,
            marker: true,
            payload: Buffer.concat([Buffer.from([0x10, key ? 0x00 : 0x01, layer]), Buffer.alloc(100 * (layer + 1))]),
            extensions: [
              { id: midId, data: Buffer.from(pubTransceiver.mid ?? '0') },
              { id: ridId, data: Buffer.from(rid) },
            ],
          }),
        );
        void pubDtls.sendRtp(packet.payload, packet.header as RtpHeader);
      });
    }, 10);
    closers.push(async () => clearInterval(sendTimer));

    await waitFor(() => tracks.length === 3 && tracks.every((t) => t.ssrc !== 0), 10_000, 'three rid tracks with their SSRC');
    expect(tracks.map((t) => t.rid).sort()).toEqual(['f', 'h', 'q']);
    expect(new Set(tracks.map((t) => t.ssrc))).toEqual(new Set(LAYER_SSRC));

    const downTrack = new DownTrack({
      kind: 'video',
      ssrc: out.ssrc,
      ...(out.codec !== undefined ? { payloadType: out.codec.payloadType } : {}),
      clockRate: 90000,
      clock: monotonicClock,
      targetLayer: 0,
      sinks: { forwardRtp: (p, rewrite) => out.sendRtp(p, rewrite), sendRtp: (p) => out.sendRtp(p), requestKeyframe: (l) => fanout.requestKeyframe(l) },
    });
    const router = new SubscriberRtcpRouter();
    router.add(downTrack);
    subSide.on('rtcp', (buf) => router.route(buf));
    fanout.add(downTrack);
    downTrack.start();

    const layerOf = (p: RtpPacket): number => p.payload[2] ?? -1;
    await waitFor(() => received.length >= 20, 10_000, 'layer q at the subscriber');
    expect(received.every((p) => layerOf(p) === 0)).toBe(true);

    downTrack.setTargetLayer(2);
    await waitFor(() => received.filter((p) => layerOf(p) === 2).length >= 20, 10_000, 'layer f at the subscriber');
    clearInterval(sendTimer);

    expect(plisByLayerSsrc.get(LAYER_SSRC[0] ?? 0)).toBeGreaterThanOrEqual(1);
    expect(plisByLayerSsrc.get(LAYER_SSRC[2] ?? 0)).toBeGreaterThanOrEqual(1);
    expect(new Set(received.map((p) => p.header.ssrc))).toEqual(new Set([out.ssrc]));
    for (let i = 1; i < received.length; i++) {
      expect(seqDiff(received[i]?.header.sequenceNumber ?? 0, received[i - 1]?.header.sequenceNumber ?? 0)).toBe(1);
    }
    const switchAt = received.findIndex((p) => layerOf(p) === 2);
    const atSwitch = received[switchAt];
    expect(atSwitch?.payload[1]).toBe(0x00); // first packet of the new layer is its keyframe
    const tsStep = ((atSwitch?.header.timestamp ?? 0) - (received[switchAt - 1]?.header.timestamp ?? 0)) >>> 0;
    expect(tsStep).toBeGreaterThan(0);
    expect(tsStep).toBeLessThan(90_000); // wall-clock continuity, not the layer's own timestamp base
    expect(received.slice(switchAt).every((p) => layerOf(p) === 2)).toBe(true);
  }, 30_000);
});
