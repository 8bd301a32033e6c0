/**
 * Inclubit's room rule, pure: at most two members, one sender (the 360 camera) and one viewer.
 */
import { alreadyInRoom, SIGNALING } from './strings.js';

export interface MemberData {
  nick: string;
  sender: boolean;
}

export type Admission = { ok: true } | { ok: false; error: string };

/** May a newcomer with role `sender` join a room whose other members are `members`? */
export function admit(members: readonly MemberData[], sender: boolean): Admission {
  if (members.length >= 2) return { ok: false, error: SIGNALING.roomFull };
  const [only] = members;
  if (only && only.sender === sender) return { ok: false, error: alreadyInRoom(sender) };
  return { ok: true };
}
