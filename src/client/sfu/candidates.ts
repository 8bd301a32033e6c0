/** ICE candidates as the protocol carries them (RTCIceCandidateInit without browser objects). */
import type { IceCandidateInit } from '../../signaling/protocol.js';

export function candidateInit(c: RTCIceCandidate): IceCandidateInit {
  return { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment };
}

/** The mid that tags the BUNDLE group of a description (the transport every m-line shares). */
export function bundleTag(sdp: string | undefined): string | undefined {
  const line = sdp?.split(/\r?\n/).find((l) => l.startsWith('a=group:BUNDLE '));
  return line?.slice('a=group:BUNDLE '.length).trim().split(/\s+/)[0] || undefined;
}

/**
 * Adds a remote candidate; when the browser refuses it because its mid names an m-line that is
 * gone (stopped, or recycled under another mid), tries again on the BUNDLE transport, which is
 * where every candidate of a bundled session belongs anyway.
 */
export async function addCandidate(pc: RTCPeerConnection, candidate: RTCIceCandidateInit): Promise<void> {
  try {
    await pc.addIceCandidate(candidate);
  } catch (err) {
    const tag = bundleTag(pc.remoteDescription?.sdp);
    if (tag === undefined || candidate.sdpMid === tag) throw err;
    await pc.addIceCandidate({ candidate: candidate.candidate ?? '', sdpMid: tag, ...(candidate.usernameFragment ? { usernameFragment: candidate.usernameFragment } : {}) });
  }
}
