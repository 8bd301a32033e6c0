/**
 * Parley's own SRTP send path (engine/werift-srtp.ts + outgoing-header.ts) against a real werift
 * subscriber over loopback ICE: every packet is decrypted and authenticated by werift, across a
 * sequence wrap-around (ROC 0 -> 1).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection, type RtpPacket } from 'werift';
import { WeriftTransport, parleyCodecs, parleyHeaderExtensions, type OutgoingTrack } from '../../../src/media/engine/index.js';
import { CANONICAL_EXT_IDS } from '../../../src/media/engine/transport.js';
import { buildRtpPacket } from '../../../src/media/rtp/index.js';
import { requireNative } from '../../unit/native/require-native.js';
import { localAnswer, nextEvent, trickle, waitFor } from './werift-helpers.js';

/** A canonical audio packet: one-byte extension block with the audio level under its canonical id. */
function opusPacket(out: OutgoingTrack, seq: number, level: number): Buffer {
  const rtp = buildRtpPacket({
    payloadType: out.codec?.payloadType ?? 111,
    sequenceNumber: seq,
    timestamp: seq * 960,
    ssrc: out.ssrc,
    marker: false,
    payload: Buffer.alloc(80, seq & 0xff),
  });
  const ext = Buffer.from([0xbe, 0xde, 0x00, 0x01, (CANONICAL_EXT_IDS.audioLevel << 4) | 0, level, 0, 0]);
  const packet = Buffer.concat([rtp.subarray(0, 12), ext, rtp.subarray(12)]);
  packet[0] = packet[0]! | 0x10;
  return packet;
}

describe("Parley's SRTP send path to a werift subscriber", () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined);
  });

  it.each([
    { path: 'TypeScript sealer, werift ICE send', native: undefined },
    { path: 'native seal + sendto', native: requireNative() },
  ])('is decrypted and authenticated by werift across a sequence wrap ($path)', async ({ native }) => {
    const server = new WeriftTransport({ id: 'sub', native });
    closers.push(() => server.close());
    const audio = server.addOutgoing('audio', { mimeType: 'audio/opus' });
    const subscriber = new RTCPeerConnection({ codecs: parleyCodecs(), headerExtensions: parleyHeaderExtensions() });
    closers.push(() => subscriber.close());
    trickle(subscriber, server);
    const received: RtpPacket[] = [];
    subscriber.onRemoteTransceiverAdded.subscribe((t) => {
      t.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => received.push(rtp.clone())));
    });
    const connected = nextEvent<string>((cb) => server.on('state', cb));
    await subscriber.setRemoteDescription(await server.createOffer());
    await server.setRemoteDescription(await localAnswer(subscriber));
    expect(await connected).toBe('connected');
    // the native send is synchronous: wait for the subscriber's own side of DTLS (its SRTP keys)
    await waitFor(() => subscriber.connectionState === 'connected', 5000, 'subscriber connected');

    const first = 65_500;
    const count = 80;
    for (let i = 0; i < count; i++) {
      audio.sendRtp(opusPacket(audio, (first + i) & 0xffff, 30 + (i % 50)));
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => received.length >= count, 10_000, `${count} packets at the subscriber`);

    expect(native === undefined ? server.sentDirect : server.sentNative).toBe(count);
    expect(native === undefined ? server.sentNative : server.sentDirect).toBe(0);
    expect(server.sentViaWerift).toBe(0);
    received.sort((a, b) => ((a.header.sequenceNumber - first) & 0xffff) - ((b.header.sequenceNumber - first) & 0xffff));
    received.forEach((rtp, i) => {
      const seq = (first + i) & 0xffff;
      expect(rtp.header.sequenceNumber).toBe(seq);
      expect(rtp.header.ssrc).toBe(audio.ssrc);
      expect(rtp.payload.equals(Buffer.alloc(80, seq & 0xff))).toBe(true);
      // the send-only m-line's negotiated extensions (from its transceiver): mid and abs-send-time
      expect(rtp.header.extensions.length).toBeGreaterThanOrEqual(2);
    });
  });
});
