/**
 * End-to-end fixtures: Debian's Chromium driven by playwright-core (never a downloaded browser),
 * a whole Parley server on port 0 with a throwaway data dir, and pages of the demo app.
 */
import type { MediaPlane } from '../../src/sfu/media-plane.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
/// <reference lib="dom" />
// `window.parley` (the demo's automation surface) as seen inside page.evaluate callbacks.
import type {} from '../../src/demo/automation.js';
import type { RemoteTrackStats } from '../../src/demo/automation.js';
import type { TrackSource } from '../../src/signaling/protocol.js';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--allow-loopback-in-peer-connection',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

const repoRoot = resolve(import.meta.dirname, '../..');
let built = false;

/** Bundles the SDK and the demo into dist/public (esbuild, well under a second), once per process. */
export function buildClient(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build-client.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  built = true;
}

export interface ParleyFixture {
  /** Base HTTP URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Mints a join token for `room` (publish, subscribe, data) with the server's primary key. */
  token(room: string, identity: string, name: string): Promise<string>;
  /** The server's media plane (media worker threads unless `rtc.workers` is 0). */
  sfu: MediaPlane;
  close(): Promise<void>;
}

/**
 * Starts the whole server on 127.0.0.1, port 0; in development mode (no API keys) unless `env`
 * configures some. The embedded TURN server is off unless overridden (its fixed ports would clash
 * between parallel runs).
 */
export async function startParley(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): Promise<ParleyFixture> {
  buildClient();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  const { startServer } = await import('../../src/server.js');
  const { createToken } = await import('../../src/auth/tokens.js');
  const server = await startServer({
    env,
    overrides: { 'server.port': 0, 'server.host': '127.0.0.1', dataDir, 'log.level': 'error', 'turn.enabled': false, ...overrides },
  });
  return {
    url: server.url,
    sfu: server.sfu,
    token: (room, identity, name) =>
      createToken(server.keys.primary, {
        identity,
        name,
        grants: { room, roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true },
        ttlSeconds: 600,
      }),
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface DemoPage {
  page: Page;
  context: BrowserContext;
  name: string;
}

/**
 * Opens the demo with `/?room=R&name=N&autojoin=1` in its own browser context (as another user
 * would) and waits until it has joined. Page errors and warnings go to stderr for diagnosis.
 */
export async function openDemo(
  browser: Browser,
  baseUrl: string,
  room: string,
  name: string,
  contextOptions: BrowserContextOptions = {},
  /** Runs before the page loads (e.g. page.routeWebSocket). */
  prepare?: (page: Page) => Promise<void>,
): Promise<DemoPage> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, ...contextOptions });
  const page = await context.newPage();
  page.on('console', (msg) => {
    // Failed WebSocket handshakes while a test holds the page offline are expected.
    if (msg.text().includes('ERR_INTERNET_DISCONNECTED')) return;
    if (msg.type() === 'error' || msg.type() === 'warning') process.stderr.write(`[${name} ${msg.type()}] ${msg.text()}\n`);
  });
  page.on('pageerror', (err) => process.stderr.write(`[${name} pageerror] ${err.message}\n`));
  await prepare?.(page);
  await page.goto(`${baseUrl}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}&autojoin=1`);
  await page.waitForFunction(() => window.parley?.state() === 'connected', undefined, { timeout: 15_000 });
  return { page, context, name };
}

/** Frames of `fromName`'s video decoded on `on` (0 when not known yet). */
export function framesDecoded(on: DemoPage, fromName: string): Promise<number> {
  return on.page.evaluate((n) => Object.values(window.parley.stats()).find((s) => s.name === n)?.framesDecoded ?? 0, fromName);
}

/** Waits until `on` has decoded more than `moreThan` frames of `fromName`'s video. */
export async function waitForFrames(on: DemoPage, fromName: string, moreThan = 0, timeout = 30_000): Promise<void> {
  try {
    await on.page.waitForFunction(
      ([n, min]) => Object.values(window.parley.stats()).some((s) => s.name === n && s.framesDecoded > min),
      [fromName, moreThan] as const,
      { timeout, polling: 250 },
    );
  } catch (err) {
    throw new Error(`${on.name} did not decode more than ${moreThan} frames from ${fromName}: ${await snapshotOf(on)}`, { cause: err });
  }
}

/** What the page knows, for failure messages. */
export async function snapshotOf(on: DemoPage): Promise<string> {
  const snapshot = await on.page
    .evaluate(() => ({ debug: window.parley.debug(), stats: window.parley.stats(), events: window.parley.events() }))
    .catch((err: unknown) => String(err));
  return JSON.stringify(snapshot);
}

/** Types `text` into the chat box and sends it, as a user would. */
export async function sendChat(from: DemoPage, text: string): Promise<void> {
  const panel = from.page.locator('#chat-panel');
  if (!(await panel.evaluate((el) => el.classList.contains('open')))) await from.page.click('#btn-chat');
  await from.page.fill('#chat-input', text);
  await from.page.press('#chat-input', 'Enter');
}

export async function waitForChat(on: DemoPage, text: string, timeout = 15_000): Promise<void> {
  try {
    await on.page.waitForFunction((t) => window.parley.messages().some((m) => m.text === t), text, { timeout, polling: 100 });
  } catch (err) {
    const got = await on.page.evaluate(() => window.parley.messages().map((m) => m.text)).catch(() => []);
    throw new Error(`${on.name} did not receive "${text}" (got ${JSON.stringify(got)}): ${await snapshotOf(on)}`, { cause: err });
  }
}

export interface DemoSuite {
  server: ParleyFixture;
  browser: Browser;
  /** Pages the tests opened; their contexts are closed after the file. */
  opened: DemoPage[];
}

/** One Parley and one Chromium for a test file (vitest beforeAll/afterAll), closed after it. */
export function useDemoSuite(overrides: Record<string, unknown> = {}): DemoSuite {
  const suite = { opened: [] } as unknown as DemoSuite;
  beforeAll(async () => {
    suite.server = await startParley(overrides);
    suite.browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const p of suite.opened) await p.context.close().catch(() => undefined);
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}

// ---- SFU rooms (test/e2e/sfu*.test.ts) ------------------------------------------------------

export interface OpenDemoOptions {
  /** Extra query parameters of the demo URL (e.g. `{ adaptive: '0' }`). */
  query?: Record<string, string>;
  contextOptions?: BrowserContextOptions;
}

/** `openDemo` with extra query parameters (the demo reads `adaptive`, `simulcast`). */
export async function openDemoWith(browser: Browser, baseUrl: string, room: string, name: string, opts: OpenDemoOptions = {}): Promise<DemoPage> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, ...opts.contextOptions });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.text().includes('ERR_INTERNET_DISCONNECTED')) return;
    if (msg.type() === 'error' || msg.type() === 'warning') process.stderr.write(`[${name} ${msg.type()}] ${msg.text()}\n`);
  });
  page.on('pageerror', (err) => process.stderr.write(`[${name} pageerror] ${err.message}\n`));
  const query = new URLSearchParams({ room, name, autojoin: '1', ...opts.query });
  await page.goto(`${baseUrl}/?${query.toString()}`);
  await page.waitForFunction(() => window.parley?.state() === 'connected', undefined, { timeout: 15_000 });
  return { page, context, name };
}

/** `on`'s receive statistics of `fromName`'s track from `source` (undefined when not known yet). */
export function trackStat(on: DemoPage, fromName: string, source: TrackSource): Promise<RemoteTrackStats | undefined> {
  return on.page.evaluate(([n, s]) => Object.values(window.parley.trackStats()).find((r) => r.name === n)?.tracks[s], [fromName, source] as const);
}

/**
 * Waits until `on`'s statistics of `fromName`'s `source` track satisfy `check` (a function
 * source evaluated in the page with the stats as `s`, e.g. `'s.framesDecoded > 10'`).
 */
export async function waitForTrackStat(on: DemoPage, fromName: string, source: TrackSource, check: string, timeout = 30_000): Promise<RemoteTrackStats> {
  try {
    await on.page.waitForFunction(
      ([n, src, expr]) => {
        const s = Object.values(window.parley.trackStats()).find((r) => r.name === n)?.tracks[src];
        return s !== undefined && (new Function('s', `return (${expr});`) as (s: unknown) => boolean)(s);
      },
      [fromName, source, check] as const,
      { timeout, polling: 250 },
    );
  } catch (err) {
    const last = await trackStat(on, fromName, source).catch(() => undefined);
    throw new Error(`${on.name}: ${fromName}'s ${source} never satisfied ${check} (last ${JSON.stringify(last)}): ${await snapshotOf(on)}`, { cause: err });
  }
  const s = await trackStat(on, fromName, source);
  if (!s) throw new Error(`${on.name}: ${fromName}'s ${source} vanished`);
  return s;
}
