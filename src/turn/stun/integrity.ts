/**
 * MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 under the key over the message up to the
 * attribute, the header's length field covering it. Computed by the native addon when it is built
 * (one call, nothing allocated: native/src/turn_relay_stun.cc), else by node:crypto; both give the
 * same bytes (test/unit/turn/integrity.test.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { nativeStunIntegrity } from '../../native/turn-relay.js';

/**
 * `at` is the offset of the MESSAGE-INTEGRITY attribute in `msg` (its 4-byte header written).
 * check: whether the 20 bytes after that header are the HMAC; else writes them and returns true.
 */
export type Integrity = (key: Buffer, msg: Buffer, at: number, check: boolean) => boolean;

const head = Buffer.alloc(4);

export const nodeIntegrity: Integrity = (key, msg, at, check) => {
  msg.copy(head, 0, 0, 2);
  head.writeUInt16BE(at + 24 - 20, 2);
  const mac = createHmac('sha1', key).update(head).update(msg.subarray(4, at)).digest();
  if (check) return timingSafeEqual(mac, msg.subarray(at + 4, at + 24));
  mac.copy(msg, at + 4);
  return true;
};

export const integrity: Integrity = nativeStunIntegrity() ?? nodeIntegrity;
