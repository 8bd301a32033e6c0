/**
 * Boundary checks on the session descriptions clients send, before werift sees them. werift is
 * lenient: it answers an SDP without media, ICE credentials or a DTLS fingerprint with an answer
 * that can never connect. A client that sends one gets a clear SDP_INVALID naming what is missing.
 */
import { ParleyError } from '../core/errors.js';

/**
 * Parley's answer to a publisher receives only, so its `a=ssrc`/`a=ssrc-group` lines (werift
 * writes its RTCP sender SSRCs there, without msid) say nothing a client needs, and libwebrtc
 * builds without unified-plan leniency refuse them ("more than one track specified with a=ssrc
 * lines"). They are removed from receive-only sections.
 */
export function withoutRecvonlySsrcs(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const sections = sdp.split(/\r?\nm=/);
  return sections
    .map((section, i) => {
      if (i === 0 || !/\r?\na=recvonly/.test(section)) return section;
      return section
        .split(/\r?\n/)
        .filter((l) => !l.startsWith('a=ssrc:') && !l.startsWith('a=ssrc-group:'))
        .join(eol);
    })
    .join(`${eol}m=`);
}

export function checkDescription(sdp: string, kind: 'publisher offer' | 'subscriber answer', mids: readonly string[] = []): void {
  const lines = sdp.split(/\r?\n/);
  const problems: string[] = [];
  if (lines[0]?.trim() !== 'v=0') problems.push('it does not start with v=0');
  const media = lines.filter((l) => l.startsWith('m='));
  if (media.length === 0) problems.push('it has no m= section');
  if (!lines.some((l) => l.startsWith('a=ice-ufrag:')) || !lines.some((l) => l.startsWith('a=ice-pwd:'))) problems.push('it has no ICE credentials (a=ice-ufrag, a=ice-pwd)');
  if (!lines.some((l) => l.startsWith('a=fingerprint:'))) problems.push('it has no DTLS fingerprint (a=fingerprint)');
  const present = new Set(lines.filter((l) => l.startsWith('a=mid:')).map((l) => l.slice(6).trim()));
  const missing = mids.filter((m) => !present.has(m));
  if (missing.length > 0) problems.push(`the m-lines named in tracks are missing: mid ${missing.join(', ')}`);
  if (problems.length > 0) throw new ParleyError('SDP_INVALID', `the ${kind} is not usable: ${problems.join('; ')}`);
}
