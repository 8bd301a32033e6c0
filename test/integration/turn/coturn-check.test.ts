/**
 * Conformance: ../shared/tools/turn/check.sh (coturn's own clients) against the embedded TURN server,
 * in data mode (long-term credentials and TURN REST shared secret, TCP, TLS and DTLS: turn.dtls on) and in security
 * mode with the default peer policy.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeByDefault, run, selfSignedCert, SHARED_TURN_TOOLS, startPeer, startTurn, type RunningTurn } from './harness.js';

const CHECK = join(SHARED_TURN_TOOLS, 'check.sh');
const SECRET = 'conformance-secret';
const users = ['test:testpass'];

function summary(out: string): { passed: number; failed: number; failures: string[] } {
  const m = /: (\d+) passed, (\d+) failed/.exec(out);
  if (!m) throw new Error(`no summary line in check.sh output:\n${out}`);
  const failures = [...out.matchAll(/^FAIL (\S+)/gm)].map((x) => x[1] as string);
  const missing = [...out.matchAll(/^\s+(\S+): missing/gm)].map((x) => `${x[1]}:verbose`);
  return { passed: Number(m[1]), failed: Number(m[2]), failures: [...failures, ...missing] };
}

describe('TURN conformance (check.sh with coturn clients)', () => {
  let peer: ChildProcess | undefined;
  let data: RunningTurn;
  let secure: RunningTurn;

  beforeAll(async () => {
    peer = await startPeer();
    const tls = selfSignedCert();
    const base = { listenIp: '127.0.0.1', port: 0, users, relayPortMin: 40000, relayPortMax: 47999 };
    // both data runs use user "test" at once and uclient leaves 777 s probe allocations: lift the per-user quota (32)
    data = await startTurn({ ...base, tlsPort: 0, dtls: true, allowLoopbackPeers: true, maxAllocationsPerUser: 1000 }, { secret: SECRET, tls });
    secure = await startTurn({ ...base, relayPortMin: 48000, relayPortMax: 49999 }, { secret: SECRET });
    // the default (native relay engine where built) is what these suites check
    expect(data.native).toBe(nativeByDefault());
    expect(secure.native).toBe(nativeByDefault());
  });

  afterAll(async () => {
    await Promise.all([data?.stop(), secure?.stop()]);
    peer?.kill();
  });

  it.concurrent('data mode, long-term credentials, UDP + TCP + TLS + DTLS', async () => {
    const r = await run(CHECK, ['data', String(data.ports.udp), 'lt', 'test', 'testpass', String(data.ports.tls)]);
    const s = summary(r.out);
    expect(s.failures, r.out).toEqual([]);
    expect(s.passed).toBe(19);
  }, 240_000);

  it.concurrent('data mode, TURN REST shared secret, UDP + TCP + TLS + DTLS', async () => {
    const r = await run(CHECK, ['data', String(data.ports.udp), 'secret', 'test', SECRET, String(data.ports.tls)]);
    const s = summary(r.out);
    expect(s.failures, r.out).toEqual([]);
    expect(s.passed).toBe(19);
  }, 240_000);

  it('security mode, default peer policy, long-term credentials', async () => {
    const r = await run(CHECK, ['security', String(secure.ports.udp), 'lt', 'test', 'testpass']);
    expect(summary(r.out), r.out).toEqual({ passed: 7, failed: 0, failures: [] });
  }, 180_000);

  it('security mode, default peer policy, shared secret (expired REST credential refused)', async () => {
    const r = await run(CHECK, ['security', String(secure.ports.udp), 'secret', 'test', SECRET]);
    expect(summary(r.out), r.out).toEqual({ passed: 8, failed: 0, failures: [] });
  }, 180_000);
});
