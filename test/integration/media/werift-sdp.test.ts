/** What Parley's werift transport offers to a subscriber (no ICE connection needed). */
import { afterEach, describe, expect, it } from 'vitest';
import { WeriftTransport } from '../../../src/media/engine/index.js';

function lines(sdp: string, pattern: RegExp): string[] {
  return sdp.split('\r\n').filter((l) => pattern.test(l));
}

describe('WeriftTransport SDP', () => {
  let transport: WeriftTransport | undefined;
  afterEach(async () => {
    await transport?.close();
  });

  it('offers Opus with DTX + audio level, VP8/VP9/H.264 with RTX and NACK/PLI/FIR/REMB, no transport-cc', async () => {
    transport = new WeriftTransport();
    transport.addOutgoing('video');
    transport.addOutgoing('audio');
    const { sdp } = await transport.createOffer();
    expect(lines(sdp, /^a=rtpmap:/)).toEqual([
      'a=rtpmap:96 VP8/90000',
      'a=rtpmap:97 rtx/90000',
      'a=rtpmap:98 VP9/90000',
      'a=rtpmap:99 rtx/90000',
      'a=rtpmap:100 H264/90000',
      'a=rtpmap:101 rtx/90000',
      'a=rtpmap:111 OPUS/48000/2',
    ]);
    expect(sdp).toContain('a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1');
    expect(lines(sdp, /^a=rtcp-fb:96 /)).toEqual(['a=rtcp-fb:96 nack', 'a=rtcp-fb:96 nack pli', 'a=rtcp-fb:96 ccm fir', 'a=rtcp-fb:96 goog-remb']);
    expect(sdp).toContain('urn:ietf:params:rtp-hdrext:ssrc-audio-level');
    expect(sdp).not.toContain('transport-wide-cc');
    expect(sdp).not.toContain('transport-cc');
    expect(lines(sdp, /^a=ssrc-group:FID /)).toHaveLength(1);
  });

  it('restricts an outgoing track to the publisher codec and its RTX', async () => {
    transport = new WeriftTransport();
    transport.addOutgoing('video', { mimeType: 'video/H264' });
    const { sdp } = await transport.createOffer();
    expect(lines(sdp, /^m=video/)).toEqual(['m=video 9 UDP/TLS/RTP/SAVPF 100 101']);
    expect(sdp).toContain('a=fmtp:101 apt=100');
  });
});
