/** Address families of an Allocate (RFC 8656 §7.2, RFC 6156): pure. */
import { decodeFamily } from '../stun/attributes.js';

/**
 * RFC 8656 §7.2 steps on address families: REQUESTED-ADDRESS-FAMILY picks one family (440 when it
 * has no relay address here); ADDITIONAL-ADDRESS-FAMILY (IPv6 only, not with the former, not for
 * TCP allocations) asks for a dual allocation, which falls back to IPv4 with an ADDRESS-ERROR-CODE
 * 440 when there is no IPv6 relay. Returns the families, or an error code.
 */
export function allocationFamilies(
  requested: Buffer | undefined,
  additional: Buffer | undefined,
  tcp: boolean,
  ipv6Relay: boolean,
): { families: (4 | 6)[]; additionalRefused: boolean } | number {
  if (requested && additional) return 400;
  if (requested) {
    const f = decodeFamily(requested);
    if (f === 'malformed') return 400;
    if (f === 'unknown' || (f === 6 && !ipv6Relay)) return 440;
    return { families: [f], additionalRefused: false };
  }
  if (additional) {
    if (tcp || decodeFamily(additional) !== 6) return 400;
    return ipv6Relay ? { families: [4, 6], additionalRefused: false } : { families: [4], additionalRefused: true };
  }
  return { families: [4], additionalRefused: false };
}
