/**
 * Room data over the SFU data channels (`_reliable`, `_lossy`), framed with the shared codec
 * (src/signaling/data-frame.ts). The SDK's payloads are JSON values, as with the signaling `data`
 * request: they travel as text frames holding JSON; a Uint8Array travels as a binary frame and
 * arrives as one. A text frame that is not JSON (another client's plain text) arrives as the string.
 * Pure: values in, bytes out, and back.
 */
import {
  decodeRelayedFrame,
  encodeDataFrame,
  MAX_DATA_FRAME_BYTES,
  payloadText,
  type ClientDataHeader,
} from '../../signaling/data-frame.js';

export interface OutgoingData {
  topic?: string;
  /** Participant sids; absent or empty: everyone else. */
  to?: string[];
}

export interface IncomingData {
  payload: unknown;
  from: { sid: string; identity: string };
  topic?: string;
}

/** The frame for `payload`, or a RangeError when it exceeds the 64 KiB frame limit. */
export function encodeRoomData(payload: unknown, opts: OutgoingData = {}): Uint8Array {
  const header: ClientDataHeader = {
    ...(opts.topic !== undefined ? { topic: opts.topic } : {}),
    ...(opts.to && opts.to.length > 0 ? { to: opts.to } : {}),
  };
  const body = payload instanceof Uint8Array ? payload : JSON.stringify(payload === undefined ? null : payload);
  const frame = encodeDataFrame(header, body);
  if (frame.length > MAX_DATA_FRAME_BYTES) throw new RangeError(`data message of ${frame.length} bytes exceeds the ${MAX_DATA_FRAME_BYTES}-byte frame limit`);
  return frame;
}

/** A relayed frame as the room's data event carries it, or the reason it is malformed. */
export function decodeRoomData(bytes: Uint8Array): IncomingData | { error: string } {
  const frame = decodeRelayedFrame(bytes);
  if ('error' in frame) return frame;
  let text: string | undefined;
  try {
    text = payloadText(frame);
  } catch {
    return { error: 'text payload is not UTF-8' };
  }
  let payload: unknown = frame.payload;
  if (text !== undefined) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
  }
  return {
    payload,
    from: { sid: frame.header.from, identity: frame.header.identity },
    ...(frame.header.topic !== undefined ? { topic: frame.header.topic } : {}),
  };
}
