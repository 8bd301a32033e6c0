/**
 * The composition root: the only module that imports every other. It loads config, opens the
 * store, resolves keys, builds the room service, the signaling server, the HTTP app, and wires
 * their events to webhooks and metrics. `startServer` is used by the CLI and by the tests.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { loadConfig, type LoadOptions } from './config/load.js';
import type { Config } from './config/schema.js';
import { ParleyError } from './core/errors.js';
import { RoomService, type RoomEvent } from './core/room-service.js';
import { unrefTimers } from './core/timers.js';
import { AuthThrottle } from './auth/throttle.js';
import { resolveKeys, resolveTurnSecret } from './auth/keys.js';
import type { KeyRing } from './auth/tokens.js';
import { createHttpApp } from './http/app.js';
import { roomRoutes } from './http/api-rooms.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { SignalingServer } from './signaling/server.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';
import { createWebhookDispatcher } from './webhooks/dispatcher.js';
import type { WebhookEventInput } from './webhooks/events.js';
import type { IceServer } from './signaling/protocol.js';
import { createTurnService, iceServersFor, type TurnService } from './turn/index.js';
import { advertisedAddress } from './turn/service.js';
import { startDialects, type RunningDialect } from './dialects/index.js';
import { availableParallelism, networkInterfaces } from 'node:os';
import { SfuService } from './sfu/sfu-service.js';
import { WorkerMediaPlane } from './sfu/worker-plane.js';
import type { MediaPlane } from './sfu/media-plane.js';
import { nativeAddon } from './native/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const VERSION: string = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

export interface RunningServer {
  config: Config;
  /** Base HTTP(S) URL, e.g. http://127.0.0.1:7880 */
  url: string;
  port: number;
  keys: KeyRing;
  devMode: boolean;
  rooms: RoomService;
  store: Store;
  metrics: Metrics;
  logger: Logger;
  /** The embedded STUN/TURN server, when enabled. */
  turn: TurnService | undefined;
  /** The SFU media plane (media worker threads, or this thread with rtc.workers = 0). */
  sfu: MediaPlane;
  /** The compatibility dialects that were enabled, with their bound ports. */
  dialects: RunningDialect[];
  iceServers(identity: string, host: string): { iceServers: IceServer[]; expiresAt: number | null };
  close(): Promise<void>;
}

export interface StartOptions extends LoadOptions {
  /** Use this logger instead of one built from the config (tests). */
  logger?: Logger;
}

const timers = unrefTimers;

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig(opts);
  const logger = opts.logger ?? createLogger(config.log);
  const metrics = createMetrics();
  const store = await openStore(config, logger);
  const keys = await resolveKeys(config, store);
  const turnSecret = await resolveTurnSecret(config, store);

  const throttle = new AuthThrottle(config.auth.failuresPerMinute);
  const sweeper = setInterval(() => throttle.sweep(Date.now()), 60_000);
  sweeper.unref();
  const authFailed = async (address: string, err: ParleyError): Promise<never> => {
    metrics.authFailures.inc({ code: err.code });
    const delay = throttle.fail(address, Date.now());
    if (delay < 0) throw new ParleyError('AUTH_RATE_LIMITED');
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    throw err;
  };

  const webhookKey = config.webhooks.apiKey ? keys.ring.find(config.webhooks.apiKey) : keys.ring.primary;
  if (!webhookKey) throw new ParleyError('CONFIG_INVALID', `webhooks.apiKey "${config.webhooks.apiKey}" is not a configured API key`);
  const webhooks = createWebhookDispatcher({
    store,
    urls: config.webhooks.urls,
    keys: { apiKey: webhookKey.key, apiSecret: webhookKey.secret },
    timeout: config.webhooks.timeout,
    maxAttempts: config.webhooks.maxAttempts,
    logger,
    metrics,
  });
  const mediaOptions = { portRange: [config.rtc.portMin, config.rtc.portMax] as const, publicIp: config.turn.publicIp, maxLoad: config.rtc.maxLoad, native: config.rtc.native, pumpBatchMs: config.rtc.pumpBatchMs };
  const mediaWorkers = config.rtc.workers ?? Math.max(1, availableParallelism() - 1);
  if ((config.rtc.portMax - config.rtc.portMin + 1) / Math.max(1, mediaWorkers) < 2) {
    throw new ParleyError('CONFIG_INVALID', `the RTC port range ${config.rtc.portMin}-${config.rtc.portMax} is too small for ${mediaWorkers} media workers; widen PARLEY_RTC_PORT_MIN/MAX or lower PARLEY_RTC_WORKERS`);
  }
  const sfu: MediaPlane =
    mediaWorkers === 0
      ? new SfuService({ logger: logger.child({ module: 'sfu' }), ...mediaOptions })
      : new WorkerMediaPlane(mediaWorkers, { log: { ...config.log, level: logger.level }, ...mediaOptions }, logger.child({ module: 'sfu' }));
  if (sfu instanceof WorkerMediaPlane) {
    await sfu.ready().catch(async (err: unknown) => {
      await sfu.close();
      throw err;
    });
  }
  metrics.observeSfu(() => sfu.stats());
  metrics.nativeAddon.set(nativeAddon(config.rtc.native) !== undefined ? 1 : 0);
  const roomLog = logger.child({ module: 'rooms' });
  const onEvent = (event: RoomEvent): void => {
    sfu.onRoomEvent(event);
    if (event.type === 'track_muted' || event.type === 'permissions_changed') return;
    const { type, ...data } = event;
    webhooks.emit({ event: type, ...data } as WebhookEventInput);
    const log = roomLog.child({ room: event.room.name, ...('participant' in event ? { participant: event.participant.sid, identity: event.participant.identity } : {}) });
    if (type === 'participant_left') log.info({ reason: event.reason }, type);
    else if (type !== 'track_published' && type !== 'track_unpublished') log.info(type);
    else log.debug({ track: event.track.sid, kind: event.track.kind }, type);
    switch (event.type) {
      case 'room_started':
        metrics.roomsActive.inc();
        break;
      case 'room_finished':
        metrics.roomsActive.dec();
        break;
      case 'participant_joined':
        metrics.participantsActive.inc();
        break;
      case 'participant_left':
        metrics.participantsActive.dec();
        break;
      case 'track_published':
      case 'track_unpublished':
        break;
    }
  };
  const rooms = new RoomService({ defaults: config.rooms, clock: Date.now, timers, repo: store.rooms, onEvent });
  const restored = await rooms.restore();
  webhooks.start();

  let turn: TurnService | undefined;
  if (config.turn.enabled) {
    turn = createTurnService({
      config: config.turn,
      secret: turnSecret,
      // clients that cannot reach the RTC ports directly relay to the SFU through TURN
      internalPeers: { addresses: mediaAddresses(config), portMin: config.rtc.portMin, portMax: config.rtc.portMax },
      ...(config.server.tlsCert && config.server.tlsKey ? { tls: { cert: config.server.tlsCert, key: config.server.tlsKey } } : {}),
      logger,
      registry: metrics.registry,
    });
    await turn.start().catch((err: unknown) => {
      throw listenError(err, `TURN port ${config.turn.port}`, 'PARLEY_TURN_PORT, or PARLEY_TURN_ENABLED=false');
    });
  }
  const publicHost = config.turn.publicIp ?? (config.server.publicUrl ? new URL(config.server.publicUrl).hostname : undefined);
  const iceServers = (identity: string, host: string): { iceServers: IceServer[]; expiresAt: number | null } => {
    if (!turn && config.turn.externalUrls.length === 0) return { iceServers: [], expiresAt: null };
    return iceServersFor({
      config: turn ? config.turn : { ...config.turn, externalOnly: true },
      secret: turnSecret,
      host: publicHost ?? (host === '' ? advertisedAddress(config.turn) : host === 'localhost' ? '127.0.0.1' : host),
      identity,
      now: Date.now(),
      tlsEnabled: turn?.ports.tls !== undefined,
      ...(turn ? { ports: turn.ports } : {}),
    });
  };

  const signaling = new SignalingServer({
    rooms,
    keys: keys.ring,
    logger: logger.child({ module: 'signaling' }),
    version: VERSION,
    resumeGraceMs: config.signaling.resumeGrace * 1000,
    setTimer: timers.set,
    iceServers,
    authFailed,
    onJoin: (resumed) => metrics.joinsTotal.inc({ resumed: String(resumed) }),
    sfu,
    maxFrameBytes: config.signaling.maxFrameBytes,
    maxMessagesPerSecond: config.signaling.maxMessagesPerSecond,
    pingIntervalMs: config.signaling.pingInterval * 1000,
    metrics,
    clientAddress: (req: IncomingMessage) => clientAddress(req, config.server.trustProxy),
  });

  const dialects: RunningDialect[] = await startDialects(config.dialects.enabled, {
    config,
    rooms,
    store,
    logger,
    registry: metrics.registry,
    // dialect clients do not tell us the host they reached: advertise the public or relay address
    turn: { secret: turnSecret, iceServers: (identity) => iceServers(identity, '') },
  });

  let shuttingDown = false;
  const tls = config.server.tlsCert && config.server.tlsKey ? { cert: readFileSync(config.server.tlsCert), key: readFileSync(config.server.tlsKey) } : undefined;
  const app = await createHttpApp({
    logger,
    metrics,
    keys: keys.ring,
    version: VERSION,
    https: tls,
    trustProxy: config.server.trustProxy,
    publicDir: join(root, 'dist', 'public'),
    routes: roomRoutes(rooms),
    iceServers,
    devTokens: keys.devMode,
    signalingUrl: (req) => signalingUrl(config, req),
    authFailed,
    ready: () => {
      const storeUp = store.healthy?.() ?? true;
      return { ready: !shuttingDown && storeUp, checks: { store: storeUp, signaling: !shuttingDown } };
    },
  });
  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== config.signaling.path || shuttingDown) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    signaling.handleUpgrade(req, socket, head);
  });
  await app.listen({ port: config.server.port, host: config.server.host }).catch(async (err: unknown) => {
    await turn?.close();
    throw listenError(err, `HTTP port ${config.server.port}`, 'PARLEY_PORT');
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const scheme = tls ? 'https' : 'http';
  const shownHost = config.server.host === '0.0.0.0' || config.server.host === '::' ? 'localhost' : config.server.host;
  const url = `${scheme}://${shownHost}:${port}`;

  logger.info({ url: config.server.publicUrl ?? url, restoredRooms: restored }, `Parley ${VERSION} listening: open ${config.server.publicUrl ?? url}`);
  if (keys.devMode) {
    const where = config.store.driver === 'redis' ? `the Redis store (${config.store.redisPrefix}settings)` : join(config.dataDir, 'parley.db');
    logger.warn(
      { store: where },
      `development mode: no API key configured, so ${keys.generated ? 'a key pair was generated and stored' : 'the generated key pair is used'} in ${where}; the dev token endpoint POST /api/dev/token is ON. Set PARLEY_API_KEY and PARLEY_API_SECRET for production.`,
    );
  } else {
    logger.info('production mode: API keys configured, the dev token endpoint is off');
  }

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      shuttingDown = true;
      clearInterval(sweeper);
      rooms.closeAll('server_shutdown');
      signaling.close();
      await sfu.close();
      await Promise.allSettled(dialects.map((d) => d.close()));
      await app.close();
      await turn?.close();
      await webhooks.close();
      await store.close();
    })());

  return { config, url, port, keys: keys.ring, devMode: keys.devMode, rooms, store, metrics, logger, turn, sfu, dialects, iceServers, close };
}

/** Addresses the SFU's ICE candidates can carry: this host's non-loopback interfaces and the announced public IPs. */
function mediaAddresses(config: Config): string[] {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (!i.internal) out.add(i.address);
  for (const ip of [config.turn.publicIp, config.turn.publicIp6]) if (ip !== undefined) out.add(ip);
  return [...out];
}

/** A bind failure as a boot error that says which setting to change. */
function listenError(err: unknown, what: string, setting: string): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE') return new ParleyError('CONFIG_INVALID', `${what} is already in use by another program; stop it or choose another port with ${setting}`);
  if (code === 'EACCES') return new ParleyError('CONFIG_INVALID', `${what} needs privileges this process does not have; choose a port above 1023 with ${setting}`);
  return err;
}

function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = req.headers['x-forwarded-for'];
    const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/** ws(s)://host/rtc as the client should use it: the public URL if set, else the request's host. */
function signalingUrl(config: Config, req: FastifyRequest): string {
  if (config.server.publicUrl) {
    const u = new URL(config.server.publicUrl);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.pathname = config.signaling.path;
    return u.toString();
  }
  const secure = req.protocol === 'https';
  return `${secure ? 'wss' : 'ws'}://${req.host}${config.signaling.path}`;
}
