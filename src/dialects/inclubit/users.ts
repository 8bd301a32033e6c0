/**
 * Inclubit users in Parley's store (collection `inclubit_users`, id = username) with bcrypt
 * password hashes; the original kept plain-text passwords in users.json. Nothing here ever returns
 * a password or a hash.
 */
import bcrypt from 'bcryptjs';
import type { Collection } from '../../store/store.js';
import { usernameSchema, type StoredUser, type UserInput } from './messages.js';

const BCRYPT_COST = 10;

/** A user as the API shows it. */
export interface PublicUser {
  canCreateRooms: boolean;
}

export class UserDirectory {
  /** Compared against when the user does not exist, so a miss costs as much as a wrong password. */
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly users: Collection<StoredUser>) {}

  async list(): Promise<Record<string, PublicUser>> {
    const out: Record<string, PublicUser> = {};
    for (const { id, value } of await this.users.list()) out[id] = { canCreateRooms: value.canCreateRooms };
    return out;
  }

  async get(name: string): Promise<PublicUser | undefined> {
    const user = await this.users.get(name);
    return user && { canCreateRooms: user.canCreateRooms };
  }

  /** The user if the password is right; works (and fails) the same with no users at all. */
  async verify(name: string, password: string): Promise<PublicUser | undefined> {
    const user = usernameSchema.safeParse(name).success ? await this.users.get(name) : undefined;
    this.dummyHash ??= bcrypt.hash('parley-inclubit-no-such-user', BCRYPT_COST);
    const hash = user?.passwordHash ?? (await this.dummyHash);
    const ok = await bcrypt.compare(password, hash);
    return ok && user ? { canCreateRooms: user.canCreateRooms } : undefined;
  }

  /** add-users: creates the users that do not exist yet (a password is required). */
  async add(input: Record<string, UserInput>): Promise<{ createdUsers: string[]; notCreatedUsers: string[] }> {
    const createdUsers: string[] = [];
    const notCreatedUsers: string[] = [];
    for (const [name, u] of Object.entries(input)) {
      if (!usernameSchema.safeParse(name).success || !u.password || (await this.users.get(name))) {
        notCreatedUsers.push(name);
        continue;
      }
      const stored: StoredUser = { passwordHash: await bcrypt.hash(u.password, BCRYPT_COST), canCreateRooms: u.canCreateRooms ?? false };
      if (await this.users.insert(name, stored)) createdUsers.push(name);
      else notCreatedUsers.push(name);
    }
    return { createdUsers, notCreatedUsers };
  }

  /** update-users: existing users only; a missing or empty password (or flag) keeps the old one. */
  async update(input: Record<string, UserInput>): Promise<{ updatedUsers: string[]; notUpdatedUsers: string[] }> {
    const updatedUsers: string[] = [];
    const notUpdatedUsers: string[] = [];
    for (const [name, u] of Object.entries(input)) {
      const current = usernameSchema.safeParse(name).success ? await this.users.get(name) : undefined;
      if (!current) {
        notUpdatedUsers.push(name);
        continue;
      }
      await this.users.put(name, await merge(current, u));
      updatedUsers.push(name);
    }
    return { updatedUsers, notUpdatedUsers };
  }

  /**
   * set-users: the given users become the whole user list. A user without a password keeps its
   * old one; a new user without one is an error, and then nothing changes.
   */
  async set(input: Record<string, UserInput>): Promise<{ ok: true } | { ok: false; error: string }> {
    const next = new Map<string, StoredUser>();
    for (const [name, u] of Object.entries(input)) {
      if (!usernameSchema.safeParse(name).success) return { ok: false, error: `invalid username ${JSON.stringify(name)}: no colon or control characters, 1-128 characters` };
      const current = await this.users.get(name);
      if (!current && !u.password) return { ok: false, error: `new user ${JSON.stringify(name)} needs a password` };
      next.set(name, current ? await merge(current, u) : { passwordHash: await bcrypt.hash(u.password ?? '', BCRYPT_COST), canCreateRooms: u.canCreateRooms ?? false });
    }
    for (const { id } of await this.users.list()) if (!next.has(id)) await this.users.delete(id);
    for (const [name, user] of next) await this.users.put(name, user);
    return { ok: true };
  }

  /** delete-users: returns the names that existed. */
  async delete(names: string[]): Promise<string[]> {
    const deleted: string[] = [];
    for (const name of names) if (await this.users.delete(name)) deleted.push(name);
    return deleted;
  }
}

async function merge(current: StoredUser, u: UserInput): Promise<StoredUser> {
  return {
    passwordHash: u.password ? await bcrypt.hash(u.password, BCRYPT_COST) : current.passwordHash,
    canCreateRooms: u.canCreateRooms ?? current.canCreateRooms,
  };
}
