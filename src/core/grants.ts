/**
 * Access grants carried by a token, and the permissions they give a participant. Pure.
 */
import type { Permissions } from '../signaling/protocol.js';

export interface Grants {
  /** The room this token is for; required for roomJoin and roomAdmin. */
  room?: string;
  roomJoin?: boolean;
  roomCreate?: boolean;
  roomList?: boolean;
  roomAdmin?: boolean;
  canPublish?: boolean;
  canSubscribe?: boolean;
  canPublishData?: boolean;
  hidden?: boolean;
}

export const GRANT_NAMES = [
  'roomJoin',
  'roomCreate',
  'roomList',
  'roomAdmin',
  'canPublish',
  'canSubscribe',
  'canPublishData',
  'hidden',
] as const satisfies readonly (keyof Grants)[];

export type GrantName = (typeof GRANT_NAMES)[number];

/** Permissions of a participant joining with these grants (publish/subscribe/data default to on). */
export function permissionsFrom(grants: Grants): Permissions {
  return {
    canPublish: grants.canPublish ?? true,
    canSubscribe: grants.canSubscribe ?? true,
    canPublishData: grants.canPublishData ?? true,
    hidden: grants.hidden ?? false,
    roomAdmin: grants.roomAdmin ?? false,
  };
}

export function canJoin(grants: Grants, room: string): boolean {
  return grants.roomJoin === true && grants.room === room;
}

/** roomCreate is global; a join token may also create its own room on first join. */
export function canCreate(grants: Grants, room: string): boolean {
  return grants.roomCreate === true || canJoin(grants, room);
}

export function canList(grants: Grants): boolean {
  return grants.roomList === true;
}

/** Administer one room: a roomAdmin grant for that room, or roomCreate (server-wide admin). */
export function canAdmin(grants: Grants, room: string): boolean {
  return (grants.roomAdmin === true && (grants.room === undefined || grants.room === room)) || grants.roomCreate === true;
}

/** Parses "roomJoin,canPublish,hidden" (CLI). Unknown names are reported, not ignored. */
export function parseGrantList(text: string): { grants: Grants; unknown: string[] } {
  const grants: Grants = {};
  const unknown: string[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, value] = raw.split('=') as [string, string | undefined];
    if ((GRANT_NAMES as readonly string[]).includes(name)) grants[name as GrantName] = value === undefined ? true : value === 'true';
    else unknown.push(name);
  }
  return { grants, unknown };
}
