import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nativeStunIntegrity } from '../../../src/native/turn-relay.js';
import { integrity, nodeIntegrity } from '../../../src/turn/stun/integrity.js';

const native = nativeStunIntegrity();

/** A message-shaped buffer with a MESSAGE-INTEGRITY slot at `at` (header bytes random, as the MAC ignores nothing but the length). */
function message(at: number): Buffer {
  const m = randomBytes(at + 24 + 8);
  m.writeUInt16BE(0x0008, at);
  m.writeUInt16BE(20, at + 2);
  return m;
}

describe('STUN MESSAGE-INTEGRITY', () => {
  it('uses the native addon when it is built (the test suite builds it)', () => {
    expect(native).toBeDefined();
    expect(integrity).toBe(native);
  });

  it('native and node:crypto write the same HMAC and accept each other’s, for keys short and long and messages of any length', () => {
    if (!native) return;
    for (const [keyLength, at] of [[16, 20], [16, 96], [20, 44], [64, 200], [65, 36], [100, 1020]] as const) {
      const key = randomBytes(keyLength);
      const a = message(at);
      const b = Buffer.from(a);
      expect(native(key, a, at, false)).toBe(true);
      expect(nodeIntegrity(key, b, at, false)).toBe(true);
      expect(a.equals(b)).toBe(true);
      expect(native(key, b, at, true)).toBe(true);
      expect(nodeIntegrity(key, a, at, true)).toBe(true);
      const i = at + 4 + (at % 20);
      a.writeUInt8(a.readUInt8(i) ^ 1, i);
      expect(native(key, a, at, true)).toBe(false);
      expect(nodeIntegrity(key, a, at, true)).toBe(false);
    }
  });

  it('covers the length field as if the message ended after the attribute, whatever the header says', () => {
    if (!native) return;
    const key = randomBytes(16);
    const a = message(40);
    native(key, a, 40, false);
    a.writeUInt16BE(0xffff, 2);
    expect(native(key, a, 40, true)).toBe(true);
    a.writeUInt8(a.readUInt8(0) ^ 1, 0);
    expect(native(key, a, 40, true)).toBe(false);
  });

  it('refuses an attribute offset outside the message or not on a 4-byte boundary', () => {
    if (!native) return;
    const key = randomBytes(16);
    expect(() => native(key, Buffer.alloc(40), 20, true)).toThrow(TypeError);
    expect(() => native(key, Buffer.alloc(64), 22, true)).toThrow(TypeError);
    expect(() => native(key, Buffer.alloc(64), 16, true)).toThrow(TypeError);
    expect(() => native(Buffer.alloc(0), Buffer.alloc(64), 20, true)).toThrow(TypeError);
  });
});
