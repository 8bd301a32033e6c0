/**
 * The one config schema. Sections live in their own files when they grow (turn.ts); every leaf has
 * a default and a description, which docs/config.md is generated from (scripts/gen-config-docs.ts).
 */
import { z } from 'zod';
import { bool, durationSeconds, list, optionalString, port, positiveInt } from './fields.js';
import { turnSection } from './turn.js';
import { dialectsSection } from './dialects.js';

const server = z
  .object({
    port: port(7880).describe('HTTP/WebSocket port (REST, signaling, demo, metrics)'),
    host: z.string().default('0.0.0.0').describe('Address to listen on'),
    publicUrl: optionalString().describe('URL clients are told to connect to (e.g. https://parley.example.com)'),
    tlsCert: optionalString().describe('PEM certificate file; with tlsKey, serves HTTPS and WSS'),
    tlsKey: optionalString().describe('PEM private key file for tlsCert'),
    trustProxy: bool(false).describe('Trust X-Forwarded-For from a reverse proxy (for client addresses)'),
    shutdownGrace: durationSeconds(5).describe('Seconds to let connections drain on SIGTERM'),
  })
  .prefault({});

const log = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level'),
    format: z.enum(['auto', 'json', 'pretty']).default('auto').describe('auto: pretty in a terminal, JSON otherwise'),
  })
  .prefault({});

const auth = z
  .object({
    apiKey: optionalString().describe('API key (the JWT "iss"); with apiSecret, disables development mode'),
    apiSecret: optionalString().describe('API secret that signs access tokens and webhooks (HS256)'),
    keys: z
      .record(z.string(), z.string().min(32, 'API secrets must be at least 32 characters'))
      .default({})
      .describe('Further key -> secret pairs (YAML only), for key rotation'),
    failuresPerMinute: positiveInt(20).describe('Failed authentications allowed per client address per minute before slowing down'),
  })
  .prefault({});

const rooms = z
  .object({
    defaultType: z.enum(['sfu', 'p2p']).default('sfu').describe('Type of rooms created by a join or by POST /api/rooms without a type: sfu (media through the server) or p2p (mesh)'),
    maxParticipants: positiveInt(4).describe('Default participant limit of a P2P (mesh) room'),
    sfuMaxParticipants: positiveInt(100).describe('Default participant limit of an SFU room'),
    emptyTimeout: durationSeconds(300).describe('Seconds an empty room is kept before it closes'),
    autoCreate: bool(true).describe('Create a room on first join when the token grants roomCreate or roomJoin'),
  })
  .prefault({});

const rtc = z
  .object({
    portMin: port(50000).describe('Lowest UDP port of the SFU media (ICE) port range'),
    portMax: port(60000).describe('Highest UDP port of the SFU media (ICE) port range'),
    maxLoad: z.coerce
      .number()
      .min(0.1)
      .max(1)
      .default(0.85)
      .describe('Event-loop utilisation (0..1) of a media thread above which new subscriptions are refused with MEDIA_OVERLOADED'),
    workers: z.coerce
      .number()
      .int()
      .min(0)
      .max(64)
      .optional()
      .describe('Media worker threads (rooms are placed on the least-loaded one); default: CPU cores - 1, at least 1; 0 runs media on the main thread'),
    native: bool(true).describe('Seal and send forwarded RTP with the native addon when `npm install` built it (false: the TypeScript path)'),
    pumpBatchMs: z.coerce
      .number()
      .int()
      .min(0)
      .max(100)
      .default(20)
      .describe(
        'With the native addon: a native thread receives publishing connections and forwards each stream\'s steady state itself (ADR 0011); JavaScript gets the packets it forwarded in batches of at most this many milliseconds. 0: no pump, every packet enters JavaScript as it arrives',
      ),
  })
  .prefault({})
  .refine((r) => r.portMin <= r.portMax, { message: 'rtc.portMin must not be above rtc.portMax' });

const signaling = z
  .object({
    path: z.string().default('/rtc').describe('WebSocket path of the native signaling protocol'),
    maxFrameBytes: positiveInt(64 * 1024).describe('Largest accepted signaling frame in bytes'),
    resumeGrace: durationSeconds(15).describe('Seconds a dropped connection can resume before others see a leave'),
    pingInterval: durationSeconds(10).describe('Seconds between server keepalive pings'),
    maxMessagesPerSecond: positiveInt(100).describe('Requests one connection may send per second on average (bursts of twice that); beyond, RATE_LIMITED and the request is dropped. Also limits the events of each socket.io dialect connection (dropped unanswered)'),
  })
  .prefault({});

const webhooks = z
  .object({
    urls: list().describe('URLs that receive signed webhook POSTs (comma-separated in the env)'),
    apiKey: optionalString().describe('API key whose secret signs webhooks (default: the first key)'),
    timeout: durationSeconds(5).describe('Seconds before a delivery attempt is abandoned'),
    maxAttempts: positiveInt(12).describe('Attempts before an event is dropped (with backoff up to 5 minutes)'),
  })
  .prefault({});

const store = z
  .object({
    driver: z
      .enum(['sqlite', 'redis'])
      .default('sqlite')
      .describe('Where rooms created through REST, generated keys and secrets, dialect documents and the webhook queue live: SQLite in dataDir, or Redis (one node per redisPrefix: the webhook queue is not leased yet)'),
    redisUrl: optionalString().describe('redis://[:password@]host:port/db (rediss:// for TLS); required with store.driver redis'),
    redisPrefix: z.string().min(1).max(64).default('parley:').describe('Prefix of every Redis key, so one Redis can hold several deployments'),
  })
  .prefault({})
  .refine((s) => s.driver !== 'redis' || s.redisUrl !== undefined, { message: 'store.redisUrl (PARLEY_REDIS_URL) is required with store.driver redis' });

export const configSchema = z.object({
  dataDir: z.string().default('./data').describe('Directory for the SQLite store and generated keys'),
  store,
  server,
  log,
  auth,
  rooms,
  signaling,
  rtc,
  webhooks,
  turn: turnSection,
  dialects: dialectsSection,
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variables: name -> config path. */
export const ENV: Record<string, readonly string[]> = {
  PARLEY_DATA_DIR: ['dataDir'],
  PARLEY_STORE: ['store', 'driver'],
  PARLEY_REDIS_URL: ['store', 'redisUrl'],
  PARLEY_REDIS_PREFIX: ['store', 'redisPrefix'],
  PARLEY_PORT: ['server', 'port'],
  PARLEY_HOST: ['server', 'host'],
  PARLEY_PUBLIC_URL: ['server', 'publicUrl'],
  PARLEY_TLS_CERT: ['server', 'tlsCert'],
  PARLEY_TLS_KEY: ['server', 'tlsKey'],
  PARLEY_TRUST_PROXY: ['server', 'trustProxy'],
  PARLEY_LOG_LEVEL: ['log', 'level'],
  PARLEY_LOG_FORMAT: ['log', 'format'],
  PARLEY_API_KEY: ['auth', 'apiKey'],
  PARLEY_API_SECRET: ['auth', 'apiSecret'],
  PARLEY_ROOM_DEFAULT_TYPE: ['rooms', 'defaultType'],
  PARLEY_ROOM_MAX_PARTICIPANTS: ['rooms', 'maxParticipants'],
  PARLEY_ROOM_SFU_MAX_PARTICIPANTS: ['rooms', 'sfuMaxParticipants'],
  PARLEY_RTC_PORT_MIN: ['rtc', 'portMin'],
  PARLEY_RTC_PORT_MAX: ['rtc', 'portMax'],
  PARLEY_RTC_MAX_LOAD: ['rtc', 'maxLoad'],
  PARLEY_RTC_WORKERS: ['rtc', 'workers'],
  PARLEY_RTC_NATIVE: ['rtc', 'native'],
  PARLEY_RTC_PUMP_BATCH_MS: ['rtc', 'pumpBatchMs'],
  PARLEY_ROOM_EMPTY_TIMEOUT: ['rooms', 'emptyTimeout'],
  PARLEY_SIGNALING_MAX_FRAME: ['signaling', 'maxFrameBytes'],
  PARLEY_RESUME_GRACE: ['signaling', 'resumeGrace'],
  PARLEY_SIGNALING_RATE: ['signaling', 'maxMessagesPerSecond'],
  PARLEY_WEBHOOK_URLS: ['webhooks', 'urls'],
  PARLEY_TURN_ENABLED: ['turn', 'enabled'],
  PARLEY_TURN_PORT: ['turn', 'port'],
  PARLEY_TURN_TLS_PORT: ['turn', 'tlsPort'],
  PARLEY_TURN_DTLS: ['turn', 'dtls'],
  PARLEY_TURN_REALM: ['turn', 'realm'],
  PARLEY_TURN_SECRET: ['turn', 'secret'],
  PARLEY_TURN_USERS: ['turn', 'users'],
  PARLEY_TURN_RELAY_PORT_MIN: ['turn', 'relayPortMin'],
  PARLEY_TURN_RELAY_PORT_MAX: ['turn', 'relayPortMax'],
  PARLEY_TURN_RELAY_IP: ['turn', 'relayIp'],
  PARLEY_PUBLIC_IP: ['turn', 'publicIp'],
  PARLEY_TURN_RELAY_IP6: ['turn', 'relayIp6'],
  PARLEY_PUBLIC_IP6: ['turn', 'publicIp6'],
  PARLEY_TURN_LISTEN_IP6: ['turn', 'listenIp6'],
  PARLEY_TURN_ALLOW_LOOPBACK_PEERS: ['turn', 'allowLoopbackPeers'],
  PARLEY_TURN_EXTERNAL_URLS: ['turn', 'externalUrls'],
  PARLEY_TURN_CREDENTIAL_TTL: ['turn', 'credentialTtl'],
  PARLEY_TURN_LISTEN_IP: ['turn', 'listenIp'],
  PARLEY_TURN_WORKERS: ['turn', 'workers'],
  PARLEY_TURN_NATIVE: ['turn', 'native'],
  PARLEY_TURN_ALLOW_PEERS: ['turn', 'allowPeers'],
  PARLEY_TURN_DENY_PEERS: ['turn', 'denyPeers'],
  PARLEY_TURN_MAX_ALLOCATIONS_PER_USER: ['turn', 'maxAllocationsPerUser'],
  PARLEY_DIALECTS: ['dialects', 'enabled'],
  PARLEY_JSONGLE_PORT: ['dialects', 'jsongle', 'port'],
  PARLEY_JSONGLE_REST_PORT: ['dialects', 'jsongle', 'restPort'],
  PARLEY_JSONGLE_APP_TOKEN: ['dialects', 'jsongle', 'appToken'],
  PARLEY_JSONGLE_MAX_USERS: ['dialects', 'jsongle', 'maxUsers'],
  PARLEY_WORKSPACES_PORT: ['dialects', 'workspaces', 'port'],
  PARLEY_WORKSPACES_JWT_SECRET: ['dialects', 'workspaces', 'jwtSecret'],
  PARLEY_WORKSPACES_SALT: ['dialects', 'workspaces', 'salt'],
  PARLEY_INCLUBIT_PORT: ['dialects', 'inclubit', 'port'],
  PARLEY_INCLUBIT_AUTH_PORT: ['dialects', 'inclubit', 'authPort'],
  PARLEY_INCLUBIT_ADMIN_USER: ['dialects', 'inclubit', 'adminUser'],
  PARLEY_INCLUBIT_ADMIN_PASSWORD: ['dialects', 'inclubit', 'adminPassword'],
  PARLEY_STATIC_DIR: ['dialects', 'staticDir'],
};

/** Paths whose values are secrets: redacted in `parley config check` and in logs. */
export const SECRET_PATHS: readonly (readonly string[])[] = [
  ['auth', 'apiSecret'],
  ['auth', 'keys'],
  ['turn', 'secret'],
  ['turn', 'users'],
  ['dialects', 'jsongle', 'appToken'],
  ['dialects', 'workspaces', 'jwtSecret'],
  ['dialects', 'workspaces', 'salt'],
  ['dialects', 'inclubit', 'adminPassword'],
];
