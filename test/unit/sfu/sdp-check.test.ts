import { describe, expect, it } from 'vitest';
import { ParleyError } from '../../../src/core/errors.js';
import { checkDescription, withoutRecvonlySsrcs } from '../../../src/sfu/sdp-check.js';

const answer = [
  'v=0', 'o=- 1 0 IN IP4 0.0.0.0', 's=-', 't=0 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97', 'a=mid:0', 'a=recvonly', 'a=ssrc-group:FID 1 2', 'a=ssrc:1 cname:x', 'a=ssrc:2 cname:x', 'a=rtcp-mux',
  'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:1', 'a=sendonly', 'a=ssrc:3 cname:x',
  '',
].join('\r\n');

describe('SDP at the SFU boundary', () => {
  it('drops ssrc lines from receive-only sections only', () => {
    const out = withoutRecvonlySsrcs(answer);
    expect(out).not.toContain('a=ssrc:1');
    expect(out).not.toContain('a=ssrc-group');
    expect(out).toContain('a=ssrc:3 cname:x');
    expect(out).toContain('a=rtcp-mux\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1');
    expect(out.split('\r\n').length).toBe(answer.split('\r\n').length - 3);
  });

  it('names what a description lacks', () => {
    expect(() => checkDescription('hello', 'publisher offer')).toThrow(ParleyError);
    expect(() => checkDescription('v=0\r\nm=audio 9 RTP 0\r\na=mid:0\r\n', 'publisher offer')).toThrow(/ICE credentials.*fingerprint/);
    const ok = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:a\r\na=ice-pwd:b\r\na=fingerprint:sha-256 AA\r\na=mid:0\r\n';
    expect(() => checkDescription(ok, 'publisher offer', ['0'])).not.toThrow();
    expect(() => checkDescription(ok, 'publisher offer', ['0', '4'])).toThrow(/mid 4/);
  });
});
