import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random base62 string of `length` characters (about 5.95 bits each). */
export function randomId(length = 12): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % 62];
  return out;
}

export const newRoomSid = () => `RM_${randomId()}`;
export const newParticipantSid = () => `PA_${randomId()}`;
export const newTrackSid = () => `TR_${randomId()}`;
