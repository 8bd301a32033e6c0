/** Helpers for the werift loopback tests: two peers in one process, candidates exchanged directly. */
import type { RTCPeerConnection } from 'werift';
import type { MediaTransport } from '../../../src/media/engine/index.js';

export function waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (predicate()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 10);
  });
}

export function nextEvent<T>(subscribe: (cb: (v: T) => void) => void): Promise<T> {
  return new Promise((resolve) => subscribe(resolve));
}

/** ICE candidates both ways between a raw werift peer and a MediaTransport. */
export function trickle(peer: RTCPeerConnection, transport: MediaTransport): void {
  peer.onIceCandidate.subscribe((c) => {
    if (c?.candidate) void transport.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid ?? '0', sdpMLineIndex: c.sdpMLineIndex ?? 0 });
  });
  transport.on('candidate', (c) => void peer.addIceCandidate({ ...c }));
}

export async function localOffer(pc: RTCPeerConnection): Promise<{ type: 'offer'; sdp: string }> {
  await pc.setLocalDescription(await pc.createOffer());
  return { type: 'offer', sdp: pc.localDescription?.sdp ?? '' };
}

export async function localAnswer(pc: RTCPeerConnection): Promise<{ type: 'answer'; sdp: string }> {
  await pc.setLocalDescription(await pc.createAnswer());
  return { type: 'answer', sdp: pc.localDescription?.sdp ?? '' };
}

