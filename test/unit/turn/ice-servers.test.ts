import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { turnSection } from '../../../src/config/turn.js';
import { iceServersFor } from '../../../src/turn/index.js';
import { Credentials } from '../../../src/turn/core/auth.js';

const NOW = 1_700_000_000_000;

describe('iceServersFor', () => {
  it('hands out STUN + TURN udp/tcp URLs with a REST credential valid for credentialTtl', () => {
    const config = turnSection.parse({ credentialTtl: '1h' });
    const r = iceServersFor({ config, secret: 's3cr3t', host: 'media.example.com', identity: 'alice', now: NOW, tlsEnabled: false });
    expect(r.iceServers[0]).toEqual({ urls: ['stun:media.example.com:3478'] });
    const turn = r.iceServers[1];
    expect(turn?.urls).toEqual(['turn:media.example.com:3478?transport=udp', 'turn:media.example.com:3478?transport=tcp']);
    expect(turn?.username).toBe(`${NOW / 1000 + 3600}:alice`);
    expect(turn?.credential).toBe(createHmac('sha1', 's3cr3t').update(turn?.username ?? '').digest('base64'));
    expect(r.expiresAt).toBe(NOW + 3600_000);
  });

  it('the credential is accepted by the server side until it expires', () => {
    const config = turnSection.parse({});
    const r = iceServersFor({ config, secret: 'k', host: '203.0.113.5', identity: 'bob', now: NOW, tlsEnabled: false });
    const creds = new Credentials({ realm: 'parley', users: new Map(), secret: 'k' });
    const username = r.iceServers[1]?.username ?? '';
    expect(creds.lookup(username, NOW).ok).toBe(true);
    expect(creds.lookup(username, r.expiresAt)).toEqual({ ok: false, reason: 'expired' });
  });

  it('adds turns: with TLS, bound ports, IPv6 brackets, external URLs, and externalOnly drops the embedded ones', () => {
    const config = turnSection.parse({ externalUrls: 'turn:coturn.example.com:3478' });
    const r = iceServersFor({ config, secret: 'k', host: '2001:db8::1', identity: 'a', now: NOW, tlsEnabled: true, ports: { udp: 40000, tls: 40001 } });
    expect(r.iceServers[1]?.urls).toContain('turns:[2001:db8::1]:40001?transport=tcp');
    expect(r.iceServers[0]?.urls).toEqual(['stun:[2001:db8::1]:40000']);
    expect(r.iceServers[2]?.urls).toEqual(['turn:coturn.example.com:3478']);
    const only = iceServersFor({ config: { ...config, externalOnly: true }, secret: 'k', host: 'h', identity: 'a', now: NOW, tlsEnabled: true });
    expect(only.iceServers).toHaveLength(1);
    expect(only.iceServers[0]?.credential).toBeDefined();
  });
});
