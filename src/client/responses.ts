/**
 * Shapes of the server's response `data`, checked at the boundary: a response that does not look
 * right rejects with a coded error instead of flowing inward untyped.
 */
import type { IceServer, JoinResult, ParticipantInfo, TrackInfo } from '../signaling/protocol.js';
import { ParleyClientError } from './errors.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function bad(what: string, data: unknown): ParleyClientError {
  return new ParleyClientError('BAD_RESPONSE', `unexpected ${what} response from the server`, data);
}

export function isParticipantInfo(v: unknown): v is ParticipantInfo {
  return isObject(v) && typeof v['sid'] === 'string' && typeof v['identity'] === 'string' && Array.isArray(v['tracks']);
}

export function isTrackInfo(v: unknown): v is TrackInfo {
  return isObject(v) && typeof v['sid'] === 'string' && typeof v['cid'] === 'string' && typeof v['kind'] === 'string';
}

export function parseJoinResult(data: unknown): JoinResult {
  if (
    !isObject(data) ||
    !isParticipantInfo(data['participant']) ||
    !Array.isArray(data['participants']) ||
    !data['participants'].every(isParticipantInfo) ||
    typeof data['resumeToken'] !== 'string'
  ) {
    throw bad('join', data);
  }
  return data as unknown as JoinResult;
}

/** What a successful resume may tell: a fresh resume token and ICE servers. */
export interface ResumeResult {
  resumeToken?: string;
  resumeGrace?: number;
  iceServers?: IceServer[];
  iceServersExpireAt?: number | null;
}

export function parseResumeResult(data: unknown): ResumeResult {
  if (!isObject(data)) return {};
  const out: ResumeResult = {};
  if (typeof data['resumeToken'] === 'string') out.resumeToken = data['resumeToken'];
  if (typeof data['resumeGrace'] === 'number') out.resumeGrace = data['resumeGrace'];
  if (Array.isArray(data['iceServers'])) out.iceServers = data['iceServers'] as IceServer[];
  if (typeof data['iceServersExpireAt'] === 'number' || data['iceServersExpireAt'] === null) out.iceServersExpireAt = data['iceServersExpireAt'];
  return out;
}

/** `publish_track` answers with the TrackInfo, or `{ track: TrackInfo }`. */
export function parsePublishResult(data: unknown): TrackInfo {
  if (isTrackInfo(data)) return data;
  if (isObject(data) && isTrackInfo(data['track'])) return data['track'];
  throw bad('publish_track', data);
}

export function parseIceServersResult(data: unknown): { iceServers: IceServer[]; iceServersExpireAt: number | null } {
  if (!isObject(data) || !Array.isArray(data['iceServers'])) throw bad('ice_servers', data);
  const expire = data['iceServersExpireAt'];
  return { iceServers: data['iceServers'] as IceServer[], iceServersExpireAt: typeof expire === 'number' ? expire : null };
}

/** `sfu_offer` answers with `{ sdp }`, the server's answer for the publisher connection. */
export function parseSdpAnswer(data: unknown): string {
  if (isObject(data) && typeof data['sdp'] === 'string' && data['sdp'].length > 0) return data['sdp'];
  throw bad('sfu_offer', data);
}
