import dgram from 'node:dgram';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { NATIVE_SRTP_AES_CM, NATIVE_SRTP_GCM, udpSocketFd, udpSocketHandle } from '../../../src/native/index.js';
import { requireNative } from './require-native.js';

const native = requireNative();
const sockets: dgram.Socket[] = [];

async function bound(type: 'udp4' | 'udp6', address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket(type);
  sockets.push(socket);
  socket.bind(0, address);
  await once(socket, 'listening');
  return socket;
}

afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

describe('native addon: UDP', () => {
  it('builds sockaddrs for IPv4 and IPv6 literals only', () => {
    expect(native.udpAddress('127.0.0.1', 5000)?.length).toBe(16);
    expect(native.udpAddress('::1', 5000)?.length).toBe(28);
    expect(native.udpAddress('example.com', 5000)).toBeUndefined();
    expect(native.udpAddress('fe80::1%eth0', 5000)).toBeUndefined();
    expect(() => native.udpAddress('127.0.0.1', 70_000)).toThrow(/udpAddress/);
  });

  it.each([
    ['udp4', '127.0.0.1'],
    ['udp6', '::1'],
  ] as const)('sends a datagram on a dgram socket by its descriptor (%s)', async (type, address) => {
    const sender = await bound(type, address);
    const receiver = await bound(type, address);
    const fd = udpSocketFd(sender);
    expect(fd).toBeGreaterThan(0);
    const got = once(receiver, 'message') as Promise<[Buffer, dgram.RemoteInfo]>;
    const data = randomBytes(900);
    expect(native.udpSend(fd!, native.udpAddress(address, receiver.address().port)!, data)).toBe(900);
    const [message, from] = await got;
    expect(message.equals(data)).toBe(true);
    expect(from.port).toBe(sender.address().port);
  });

  it('reports a send error as -errno instead of throwing', () => {
    const addr = native.udpAddress('127.0.0.1', 9)!;
    expect(native.udpSend(1_000_000, addr, Buffer.alloc(10))).toBe(-9); // EBADF
  });

  it('refuses arguments of the wrong type with a named error', () => {
    const call = native.udpSend as unknown as (...args: unknown[]) => number;
    expect(() => call('x', Buffer.alloc(16), Buffer.alloc(1))).toThrow(/udpSend/);
    expect(() => call(3, Buffer.alloc(4), Buffer.alloc(1))).toThrow(/udpSend/);
    expect(() => call(3, Buffer.alloc(16), 'data')).toThrow(/udpSend/);
  });

  it('has no descriptor for a socket that is not bound, or closed', async () => {
    const socket = dgram.createSocket('udp4');
    expect(udpSocketFd(socket)).toBeUndefined();
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    expect(udpSocketFd(socket)).toBeGreaterThan(0);
    socket.close();
    expect(udpSocketFd(socket)).toBeUndefined();
  });

  it('tells whether a socket still has the handle its descriptor was read from', async () => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    const handle = udpSocketHandle(socket);
    expect(handle).toBeDefined();
    expect(udpSocketHandle(socket)).toBe(handle);
    socket.close(); // synchronously: before the 'close' event, the descriptor is already gone
    expect(udpSocketHandle(socket)).toBeUndefined();
  });
});

describe('native addon: SRTP sender', () => {
  it('refuses bad keys, salts and profiles', () => {
    const create = native.srtpSender as unknown as (...args: unknown[]) => unknown;
    expect(() => create(2, randomBytes(16), randomBytes(12))).toThrow(/profile/);
    expect(() => create(NATIVE_SRTP_GCM, randomBytes(8), randomBytes(12))).toThrow(/key must be 16 bytes/);
    expect(() => create(NATIVE_SRTP_GCM, randomBytes(16), randomBytes(14))).toThrow(/salt must be 12 bytes/);
    expect(() => create(NATIVE_SRTP_AES_CM, randomBytes(16), randomBytes(14))).toThrow(/authentication key/);
    expect(() => create(NATIVE_SRTP_AES_CM, randomBytes(16), randomBytes(14), randomBytes(20))).not.toThrow();
  });

  it('refuses packets too short for header and tag, and non-senders', () => {
    const sender = native.srtpSender(NATIVE_SRTP_GCM, randomBytes(16), randomBytes(12));
    expect(() => native.srtpSeal(sender, Buffer.alloc(20), 12, 0)).toThrow(/shorter than header \+ tag/);
    expect(() => native.srtpSeal(sender, Buffer.alloc(40), 8, 0)).toThrow(/shorter than header \+ tag/);
    const seal = native.srtpSeal as unknown as (...args: unknown[]) => void;
    expect(() => seal({}, Buffer.alloc(40), 12, 0)).toThrow(/not an SRTP context/);
  });

  it('sends exactly the bytes srtpSeal produces', async () => {
    const key = randomBytes(16);
    const salt = randomBytes(14);
    const auth = randomBytes(20);
    const a = native.srtpSender(NATIVE_SRTP_AES_CM, key, salt, auth);
    const b = native.srtpSender(NATIVE_SRTP_AES_CM, key, salt, auth);
    const sender = await bound('udp4', '127.0.0.1');
    const receiver = await bound('udp4', '127.0.0.1');
    const packet = Buffer.concat([Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4]), randomBytes(500), Buffer.alloc(10)]);
    const expected = Buffer.from(packet);
    native.srtpSeal(b, expected, 12, 3);
    const got = once(receiver, 'message') as Promise<[Buffer]>;
    const sent = native.srtpSealSend(a, packet, 12, 3, udpSocketFd(sender)!, native.udpAddress('127.0.0.1', receiver.address().port)!);
    expect(sent).toBe(packet.length);
    const [message] = await got;
    expect(message.equals(expected)).toBe(true);
    expect(packet.equals(expected)).toBe(true);
  });

  it('seals and sends the first `length` bytes of a reused buffer, and refuses a length that does not fit', async () => {
    const key = randomBytes(16);
    const salt = randomBytes(12);
    const a = native.srtpSender(NATIVE_SRTP_GCM, key, salt);
    const b = native.srtpSender(NATIVE_SRTP_GCM, key, salt);
    const sender = await bound('udp4', '127.0.0.1');
    const receiver = await bound('udp4', '127.0.0.1');
    const to = native.udpAddress('127.0.0.1', receiver.address().port)!;
    const packet = Buffer.concat([Buffer.from([0x80, 96, 0, 9, 0, 0, 0, 1, 1, 2, 3, 4]), randomBytes(300), Buffer.alloc(16)]);
    const expected = Buffer.from(packet);
    native.srtpSeal(b, expected, 12, 0);
    const scratch = Buffer.alloc(4096, 0xee);
    packet.copy(scratch);
    const got = once(receiver, 'message') as Promise<[Buffer]>;
    expect(native.srtpSealSend(a, scratch, 12, 0, udpSocketFd(sender)!, to, packet.length)).toBe(packet.length);
    const [message] = await got;
    expect(message.equals(expected)).toBe(true);
    expect(scratch[packet.length]).toBe(0xee);
    expect(() => native.srtpSealSend(a, scratch, 12, 0, udpSocketFd(sender)!, to, 5000)).toThrow(/length must fit/);
    expect(() => native.srtpSealSend(a, scratch, 12, 0, udpSocketFd(sender)!, to, 20)).toThrow(/length must fit/);
  });
});
