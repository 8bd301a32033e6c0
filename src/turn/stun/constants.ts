/** STUN/TURN wire constants (RFC 8489, RFC 8656, RFC 6062, RFC 5780 subset). */

export const MAGIC_COOKIE = 0x2112a442;
export const HEADER_LENGTH = 20;
export const FINGERPRINT_XOR = 0x5354554e;

export const Method = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
  Connect: 0x00a,
  ConnectionBind: 0x00b,
  ConnectionAttempt: 0x00c,
} as const;
export type MethodName = keyof typeof Method;

export const Class = { Request: 0, Indication: 1, Success: 2, Error: 3 } as const;
export type StunClass = (typeof Class)[keyof typeof Class];

export const Attr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  MessageIntegritySha256: 0x001c,
  PasswordAlgorithm: 0x001d,
  Userhash: 0x001e,
  XorMappedAddress: 0x0020,
  ReservationToken: 0x0022,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  ConnectionId: 0x002a,
  AdditionalAddressFamily: 0x8000,
  AddressErrorCode: 0x8001,
  PasswordAlgorithms: 0x8002,
  AlternateDomain: 0x8003,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
  ResponseOrigin: 0x802b,
  OtherAddress: 0x802c,
} as const;

/** Comprehension-required attributes this server understands (others in 0x0000-0x7FFF give 420). */
export const KNOWN_REQUIRED = new Set<number>([
  Attr.MappedAddress, Attr.Username, Attr.MessageIntegrity, Attr.ErrorCode, Attr.UnknownAttributes,
  Attr.ChannelNumber, Attr.Lifetime, Attr.XorPeerAddress, Attr.Data, Attr.Realm, Attr.Nonce,
  Attr.XorRelayedAddress, Attr.RequestedAddressFamily, Attr.EvenPort, Attr.RequestedTransport,
  Attr.DontFragment, Attr.MessageIntegritySha256, Attr.PasswordAlgorithm, Attr.Userhash,
  Attr.XorMappedAddress, Attr.ReservationToken, Attr.Priority, Attr.UseCandidate, Attr.ConnectionId,
]);

export const ErrorReason: Record<number, string> = {
  300: 'Try Alternate',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  420: 'Unknown Attribute',
  437: 'Allocation Mismatch',
  438: 'Stale Nonce',
  440: 'Address Family not Supported',
  441: 'Wrong Credentials',
  442: 'Unsupported Transport Protocol',
  443: 'Peer Address Family Mismatch',
  446: 'Connection Already Exists',
  447: 'Connection Timeout or Failure',
  486: 'Allocation Quota Reached',
  500: 'Server Error',
  508: 'Insufficient Capacity',
};

export const Transport = { UDP: 17, TCP: 6 } as const;
export const Family = { IPv4: 0x01, IPv6: 0x02 } as const;
