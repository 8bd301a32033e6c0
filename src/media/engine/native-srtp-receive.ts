/**
 * Incoming SRTP opened by the native addon (ADR 0008) instead of werift's JavaScript: the
 * session's `decrypt` (an instance field werift calls for every RTP datagram, after ICE and DTLS
 * demultiplexing) is replaced by one that authenticates and decrypts in place with a keyed-once
 * cipher. The rollover counter follows werift's own rule on werift's own per-SSRC state, committed
 * only for a packet that authenticates, exactly as `SrtpContext.decryptRtp` does; a packet that
 * does not authenticate (or cannot be SRTP) throws werift's `SrtpAuthenticationError`, which werift
 * counts as a dropped packet. SRTCP stays with werift (a few packets a second).
 */
import { SrtpAuthenticationError, type SrtpSession } from 'werift';
import { rtpHeaderLength } from '../rtp/header.js';
import type { NativeAddon } from '../../native/index.js';
import { nativeSrtpKeys } from './werift-srtp.js';

const opened = new WeakSet<SrtpSession>();

/** werift's per-SSRC rollover state (`SrtpContext.srtpSSRCStates`; `rolloverHasProcessed` set by its rule). */
interface RolloverState {
  ssrc: number;
  rolloverCounter: number;
  lastSequenceNumber: number;
  rolloverHasProcessed?: boolean | undefined;
}

/**
 * Replaces `session.decrypt`; false (werift keeps decrypting) for a profile the addon lacks.
 * `counter.receivedNative` counts the packets opened here.
 */
export function openSrtpNatively(session: SrtpSession, native: NativeAddon, counter?: { receivedNative: number }): boolean {
  if (opened.has(session)) return true;
  const context = session.remoteContext;
  const keys = nativeSrtpKeys(context);
  if (keys === undefined) return false;
  const receiver = native.srtpReceiver(...keys.args);
  const tag = keys.tagLength;
  const states = context.srtpSSRCStates;
  // werift's rule runs on this copy of the SSRC's state (all four fields werift keeps in it); the
  // state takes the result only once the packet authenticates
  const next: RolloverState = { ssrc: 0, rolloverCounter: 0, lastSequenceNumber: 0, rolloverHasProcessed: undefined };
  session.decrypt = (packet: Buffer): Buffer => {
    const headerLength = rtpHeaderLength(packet);
    if (headerLength < 0 || headerLength + tag > packet.length) throw new SrtpAuthenticationError('not an SRTP packet');
    const ssrc = packet.readUInt32BE(8);
    const existing = states[ssrc] as RolloverState | undefined;
    next.ssrc = ssrc;
    next.rolloverCounter = existing?.rolloverCounter ?? 0;
    next.lastSequenceNumber = existing?.lastSequenceNumber ?? 0;
    next.rolloverHasProcessed = existing?.rolloverHasProcessed;
    context.updateRolloverCount(packet.readUInt16BE(2), next);
    const length = native.srtpOpen(receiver, packet, headerLength, next.rolloverCounter);
    if (length < 0) throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
    if (existing !== undefined) {
      existing.rolloverCounter = next.rolloverCounter;
      existing.lastSequenceNumber = next.lastSequenceNumber;
      existing.rolloverHasProcessed = next.rolloverHasProcessed;
    } else states[ssrc] = { ...next };
    if (counter !== undefined) counter.receivedNative++;
    return packet.subarray(0, length);
  };
  opened.add(session);
  return true;
}
