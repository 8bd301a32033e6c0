/**
 * Maps RTP header extensions between one werift peer connection's negotiated ids and Parley's
 * canonical ids (transport.ts). Only what the SFU needs survives: audio level in, audio level +
 * mid + abs-send-time out. rid, repaired-rid and transport-cc stay on their own hop.
 */
import type { Extension } from 'werift';
import { EXT_URI } from '../rtp/extensions.js';
import { CANONICAL_EXT_IDS } from './transport.js';

export type IdToUri = Readonly<Record<number, string>>;

export function uriToId(map: IdToUri): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, uri] of Object.entries(map)) out.set(uri, Number(id));
  return out;
}

/** Incoming: negotiated ids to canonical ones, dropping what the SFU does not carry across. */
export function toCanonical(extensions: readonly Extension[], idToUri: IdToUri): Extension[] {
  const out: Extension[] = [];
  for (const ext of extensions) {
    const uri = idToUri[ext.id];
    if (uri === EXT_URI.audioLevel) out.push({ id: CANONICAL_EXT_IDS.audioLevel, payload: ext.payload });
  }
  return out;
}

/** abs-send-time payload for now (24-bit 6.18 fixed-point seconds). */
export function absSendTimePayload(nowMs: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeUIntBE(Math.floor((nowMs * 262144) / 1000) & 0xffffff, 0, 3);
  return b;
}

/** Outgoing: canonical ids to the subscriber's negotiated ones, plus mid and abs-send-time. */
export function fromCanonical(
  extensions: readonly Extension[],
  uriToIdMap: ReadonlyMap<string, number>,
  mid: string | undefined,
  nowMs: number,
): Extension[] {
  const out: Extension[] = [];
  const midId = uriToIdMap.get(EXT_URI.mid);
  if (midId !== undefined && mid !== undefined) out.push({ id: midId, payload: Buffer.from(mid, 'ascii') });
  const absId = uriToIdMap.get(EXT_URI.absSendTime);
  if (absId !== undefined) out.push({ id: absId, payload: absSendTimePayload(nowMs) });
  const levelId = uriToIdMap.get(EXT_URI.audioLevel);
  if (levelId !== undefined) {
    const level = extensions.find((e) => e.id === CANONICAL_EXT_IDS.audioLevel);
    if (level !== undefined) out.push({ id: levelId, payload: level.payload });
  }
  return out.sort((a, b) => a.id - b.id);
}
