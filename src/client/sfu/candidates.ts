/** ICE candidates as the protocol carries them (RTCIceCandidateInit without browser objects). */
import type { IceCandidateInit } from '../../signaling/protocol.js';

export function candidateInit(c: RTCIceCandidate): IceCandidateInit {
  return { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment };
}
