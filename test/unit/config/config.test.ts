import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../../../src/config/load.js';
import { renderConfigDocs } from '../../../src/config/docs.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.server).toMatchObject({ port: 7880, host: '0.0.0.0' });
    expect(c.dataDir).toBe('./data');
    expect(c.log.level).toBe('info');
    expect(c.signaling).toMatchObject({ maxFrameBytes: 65536, resumeGrace: 15 });
    expect(c.rooms.maxParticipants).toBe(4);
    expect(c.turn).toMatchObject({ enabled: true, port: 3478, tlsPort: 5349, allowLoopbackPeers: false });
  });

  it('layers defaults < YAML < env < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cfg-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'server:\n  port: 1000\n  host: 127.0.0.1\nlog:\n  level: debug\nrooms:\n  emptyTimeout: 2m\n');
    const c = loadConfig({ file, env: { PARLEY_PORT: '2000', PARLEY_LOG_LEVEL: 'warn' }, overrides: { 'server.port': '3000' } });
    expect(c.server).toMatchObject({ port: 3000, host: '127.0.0.1' });
    expect(c.log.level).toBe('warn');
    expect(c.rooms.emptyTimeout).toBe(120);
  });

  it('fails with one message listing every problem, naming the env var', () => {
    let message = '';
    try {
      loadConfig({ env: { PARLEY_PORT: 'eighty', PARLEY_LOG_LEVEL: 'loud', PARLEY_TURN_ENABLED: 'maybe', PARLEY_API_KEY: 'k' } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('server.port (PARLEY_PORT)');
    expect(message).toContain('log.level (PARLEY_LOG_LEVEL)');
    expect(message).toContain('turn.enabled (PARLEY_TURN_ENABLED)');
    expect(() => loadConfig({ env: { PARLEY_API_KEY: 'k' } })).toThrow(/must be set together/);
    expect(() => loadConfig({ env: { PARLEY_API_KEY: 'k', PARLEY_API_SECRET: 'short' } })).toThrow(/at least 32/);
  });

  it('reports unreadable or non-mapping YAML clearly', () => {
    expect(() => loadConfig({ file: '/nonexistent/parley.yaml', env: {} })).toThrow(/cannot read config file/);
    const dir = mkdtempSync(join(tmpdir(), 'parley-cfg-'));
    writeFileSync(join(dir, 'bad.yaml'), '- a\n- b\n');
    expect(() => loadConfig({ file: join(dir, 'bad.yaml'), env: {} })).toThrow(/must hold a mapping/);
  });

  it('redacts secrets', () => {
    const c = loadConfig({ env: { PARLEY_API_KEY: 'APIk', PARLEY_API_SECRET: 'x'.repeat(40), PARLEY_TURN_USERS: 'u1:p1,u2:p2', PARLEY_TURN_SECRET: 'ts' } });
    const text = JSON.stringify(redactConfig(c));
    expect(text).not.toContain('x'.repeat(40));
    expect(text).not.toContain('p1');
    expect(text).not.toContain('"ts"');
    expect(text).toContain('APIk');
    expect(text).toContain('u1:[redacted]');
  });

  it('docs/config.md is generated from the current schema', () => {
    expect(readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8')).toBe(renderConfigDocs());
  });
});

describe('error catalog', () => {
  it('docs/errors.md is generated from the current catalog', async () => {
    const { renderErrorDocs } = await import('../../../src/core/errors-doc.js');
    expect(readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorDocs());
  });
});
