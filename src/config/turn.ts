/** Config section of the embedded STUN/TURN server (src/turn/). */
import { isIPv6 } from 'node:net';
import { z } from 'zod';
import { bool, durationSeconds, list, optionalString, port, positiveInt } from './fields.js';

export const turnSection = z
  .object({
    enabled: bool(true).describe('Run the embedded STUN/TURN server'),
    port: port(3478).describe('UDP and TCP port of STUN/TURN'),
    tlsPort: port(5349).describe('TLS (TCP) and DTLS (UDP) port, used when server.tlsCert/tlsKey are set'),
    dtls: bool(false).describe('Also serve TURN over DTLS 1.2 (RFC 7350) on the TLS port over UDP when TLS is on (RSA or ECDSA key; no DTLS 1.0, see docs/turn.md)'),
    listenIp: z.string().default('0.0.0.0').describe('Address the TURN listeners bind to'),
    realm: z.string().min(1).default('parley').describe('Realm of long-term credentials'),
    secret: optionalString().describe('TURN REST API shared secret (coturn use-auth-secret); generated into the data dir when unset'),
    users: list().describe('Static long-term users, "user:password,..."'),
    relayPortMin: port(49152).describe('Lowest relay port'),
    relayPortMax: port(65535).describe('Highest relay port'),
    relayIp: optionalString().describe('Address relay sockets bind to (default: listenIp)'),
    publicIp: optionalString().describe('Address advertised in XOR-RELAYED-ADDRESS and ICE candidates (1:1 NAT, e.g. a cloud VM)'),
    relayIp6: z
      .string()
      .default('auto')
      .refine((v) => v === 'auto' || v === 'none' || (isIPv6(v) && v !== '::'), { message: 'must be "auto", "none" or a concrete IPv6 address' })
      .describe('IPv6 address relay sockets bind to for REQUESTED-ADDRESS-FAMILY/ADDITIONAL-ADDRESS-FAMILY IPv6: an address, "auto" (the first global IPv6 of the host, if any) or "none" (IPv6 relays get 440)'),
    publicIp6: optionalString()
      .refine((v) => v === undefined || isIPv6(v), { message: 'must be an IPv6 address' })
      .describe('IPv6 address advertised in XOR-RELAYED-ADDRESS for IPv6 relays (default: the IPv6 relay address)'),
    listenIp6: optionalString()
      .refine((v) => v === undefined || isIPv6(v), { message: 'must be an IPv6 address, e.g. ::' })
      .describe('Also listen for clients (UDP, TCP, TLS) on this IPv6 address, same ports (e.g. ::); off when unset'),
    allowLoopbackPeers: bool(false).describe('TESTS ONLY: allow relaying to loopback peers (127/8, ::1); logs a warning'),
    allowPeers: list().describe('CIDRs that override the peer deny list'),
    denyPeers: list().describe('Extra CIDRs to refuse as peers'),
    externalUrls: list().describe('External TURN URLs sharing the secret (e.g. turn:turn.example.com:3478)'),
    externalOnly: bool(false).describe('Hand out only the external TURN servers, not the embedded one'),
    credentialTtl: durationSeconds(6 * 3600).describe('Lifetime of handed-out TURN REST credentials'),
    software: optionalString().describe('SOFTWARE attribute value (none by default)'),
    maxAllocationsPerUser: positiveInt(32).describe('Allocation quota per username'),
    maxAllocations: positiveInt(10000).describe('Allocation quota in total'),
    maxPermissionsPerAllocation: positiveInt(64).describe('Permission quota per allocation (508 beyond it)'),
    maxBitrate: z.coerce.number().int().nonnegative().default(0).describe('Bandwidth cap per allocation in bits/s (0 = unlimited)'),
    workers: z.coerce.number().int().nonnegative().default(0).describe('Relay worker threads (0 = one per core)'),
    native: bool(true).describe('Serve UDP clients with the native relay engine in the relay workers when `npm install` built the addon (false, or no workers: the TypeScript path)'),
  })
  .prefault({});
