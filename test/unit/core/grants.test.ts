import { describe, expect, it } from 'vitest';
import { canAdmin, canCreate, canJoin, canList, parseGrantList, permissionsFrom } from '../../../src/core/grants.js';

describe('grants', () => {
  it('gives publish, subscribe and data by default, and nothing else', () => {
    expect(permissionsFrom({})).toEqual({ canPublish: true, canSubscribe: true, canPublishData: true, hidden: false, roomAdmin: false });
    expect(permissionsFrom({ canPublish: false, hidden: true })).toMatchObject({ canPublish: false, hidden: true });
  });

  it('joins only the room named in the token', () => {
    expect(canJoin({ room: 'a', roomJoin: true }, 'a')).toBe(true);
    expect(canJoin({ room: 'a', roomJoin: true }, 'b')).toBe(false);
    expect(canJoin({ room: 'a' }, 'a')).toBe(false);
  });

  it('creates with roomCreate anywhere, or its own room with roomJoin', () => {
    expect(canCreate({ roomCreate: true }, 'x')).toBe(true);
    expect(canCreate({ room: 'x', roomJoin: true }, 'x')).toBe(true);
    expect(canCreate({ room: 'x', roomJoin: true }, 'y')).toBe(false);
  });

  it('administers its own room with roomAdmin, any room with roomCreate', () => {
    expect(canAdmin({ room: 'a', roomAdmin: true }, 'a')).toBe(true);
    expect(canAdmin({ room: 'a', roomAdmin: true }, 'b')).toBe(false);
    expect(canAdmin({ roomCreate: true }, 'b')).toBe(true);
    expect(canAdmin({ room: 'a', roomJoin: true }, 'a')).toBe(false);
    expect(canList({ roomList: true })).toBe(true);
  });

  it('parses the CLI grant list and reports unknown names', () => {
    expect(parseGrantList('roomJoin, canPublish=false,hidden')).toEqual({ grants: { roomJoin: true, canPublish: false, hidden: true }, unknown: [] });
    expect(parseGrantList('roomJoin,fly').unknown).toEqual(['fly']);
  });
});
