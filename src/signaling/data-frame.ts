/**
 * The frame of every message on the SFU data channels `_reliable` and `_lossy`, both ways
 * (docs/signaling.md "Data channels"):
 *
 *   0x50 0x01 | header length (uint16 BE) | header (UTF-8 JSON) | payload bytes
 *
 * Shared by the server and the browser SDK, so it uses Uint8Array and TextEncoder only. Decoding
 * validates everything: a frame from the network is a boundary.
 */

export const DATA_FRAME_MAGIC = 0x50;
export const DATA_FRAME_VERSION = 1;
export const MAX_DATA_FRAME_BYTES = 64 * 1024;
export const DATA_CHANNEL_LABELS = { reliable: '_reliable', lossy: '_lossy' } as const;

/** What a client writes: addressees (none: everyone else), a topic, whether the payload is text. */
export interface ClientDataHeader {
  text?: boolean;
  topic?: string;
  to?: string[];
}

/** What a subscriber reads: the server stamps the sender from its session. */
export interface RelayedDataHeader {
  from: string;
  identity: string;
  text?: boolean;
  topic?: string;
}

export interface DataFrame<H> {
  readonly header: H;
  readonly payload: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeDataFrame(header: ClientDataHeader | RelayedDataHeader, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const head = encoder.encode(JSON.stringify(typeof payload === 'string' ? { ...header, text: true } : header));
  if (head.length > 0xffff) throw new RangeError('data frame header too large');
  const out = new Uint8Array(4 + head.length + body.length);
  out[0] = DATA_FRAME_MAGIC;
  out[1] = DATA_FRAME_VERSION;
  out[2] = head.length >> 8;
  out[3] = head.length & 0xff;
  out.set(head, 4);
  out.set(body, 4 + head.length);
  return out;
}

/** The raw header object and payload, or a reason the frame is malformed. */
export function splitDataFrame(frame: Uint8Array): { header: unknown; payload: Uint8Array } | { error: string } {
  if (frame.length > MAX_DATA_FRAME_BYTES) return { error: 'frame too large' };
  if (frame.length < 4 || frame[0] !== DATA_FRAME_MAGIC) return { error: 'not a Parley data frame' };
  if (frame[1] !== DATA_FRAME_VERSION) return { error: `unsupported data frame version ${frame[1] ?? 0}` };
  const headLength = ((frame[2] ?? 0) << 8) | (frame[3] ?? 0);
  if (4 + headLength > frame.length) return { error: 'truncated header' };
  let header: unknown;
  try {
    header = JSON.parse(decoder.decode(frame.subarray(4, 4 + headLength)));
  } catch {
    return { error: 'header is not UTF-8 JSON' };
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return { error: 'header is not an object' };
  return { header, payload: frame.subarray(4 + headLength) };
}

const optionalString = (v: unknown, max: number): v is string | undefined => v === undefined || (typeof v === 'string' && v.length <= max);

/** Validates a client's frame (the server's inbound boundary). */
export function decodeClientFrame(frame: Uint8Array): DataFrame<ClientDataHeader> | { error: string } {
  const split = splitDataFrame(frame);
  if ('error' in split) return split;
  const h = split.header as Record<string, unknown>;
  for (const key of Object.keys(h)) if (key !== 'text' && key !== 'topic' && key !== 'to') return { error: `unknown header field "${key}"` };
  if (h['text'] !== undefined && typeof h['text'] !== 'boolean') return { error: 'header.text must be a boolean' };
  if (!optionalString(h['topic'], 256)) return { error: 'header.topic must be a string of at most 256 characters' };
  const to = h['to'];
  if (to !== undefined && !(Array.isArray(to) && to.length <= 256 && to.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 64))) {
    return { error: 'header.to must be an array of at most 256 participant sids' };
  }
  const header: ClientDataHeader = {
    ...(h['text'] === true ? { text: true } : {}),
    ...(typeof h['topic'] === 'string' ? { topic: h['topic'] } : {}),
    ...(Array.isArray(to) ? { to: to as string[] } : {}),
  };
  return { header, payload: split.payload };
}

/** Validates a relayed frame (the SDK's inbound boundary). */
export function decodeRelayedFrame(frame: Uint8Array): DataFrame<RelayedDataHeader> | { error: string } {
  const split = splitDataFrame(frame);
  if ('error' in split) return split;
  const h = split.header as Record<string, unknown>;
  if (typeof h['from'] !== 'string' || typeof h['identity'] !== 'string') return { error: 'header.from and header.identity are required' };
  if (!optionalString(h['topic'], 256)) return { error: 'header.topic must be a string' };
  return {
    header: {
      from: h['from'],
      identity: h['identity'],
      ...(h['text'] === true ? { text: true } : {}),
      ...(typeof h['topic'] === 'string' ? { topic: h['topic'] } : {}),
    },
    payload: split.payload,
  };
}

export function payloadText(frame: DataFrame<{ text?: boolean }>): string | undefined {
  return frame.header.text === true ? decoder.decode(frame.payload) : undefined;
}
