/**
 * The webRTCWorkspaces dialect: the original signaling protocol on its own port (default 9090),
 * workspaces kept in Parley's store, attendees as participants of Parley rooms `workspaces:<id>`.
 * See docs/dialects/workspaces.md.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AuthThrottle } from '../../auth/throttle.js';
import type { DialectDeps, RunningDialect } from '../types.js';
import type { WorkspacesApp } from './context.js';
import { workspaceRecordSchema, type WorkspaceRecord } from './messages.js';
import { createWorkspacesMetrics } from './metrics.js';
import { PresenceManager } from './presence.js';
import { limitDialectEvents } from '../rate-limit.js';
import { listenWorkspaces } from './server.js';
import { WorkspaceDirectory } from './state.js';
import { WorkspaceTokens } from './tokens.js';

export const WORKSPACES_COLLECTION = 'workspaces';
export const WORKSPACES_SECRET_SETTING = 'workspaces.jwt_secret';
export const WORKSPACES_SALT_SETTING = 'workspaces.salt';

export async function startWorkspacesDialect(deps: DialectDeps): Promise<RunningDialect> {
  const config = deps.config.dialects.workspaces;
  const logger = deps.logger.child({ dialect: 'workspaces' });
  const secret = config.jwtSecret ?? (await storedSecret(deps, WORKSPACES_SECRET_SETTING));
  const salt = config.salt ?? (await storedSecret(deps, WORKSPACES_SALT_SETTING));
  const dir = new WorkspaceDirectory(deps.store.collection<WorkspaceRecord>(WORKSPACES_COLLECTION, workspaceRecordSchema));
  const loaded = await dir.load();
  const metrics = createWorkspacesMetrics(deps.registry);
  const throttle = new AuthThrottle(deps.config.auth.failuresPerMinute);
  const sweeper = setInterval(() => throttle.sweep(Date.now()), 60_000);
  sweeper.unref();
  const trustProxy = deps.config.server.trustProxy;
  const app: WorkspacesApp = {
    dir,
    presence: new PresenceManager(deps.rooms, metrics, config.maxAttendees),
    tokens: new WorkspaceTokens(secret, salt),
    maxAttendees: config.maxAttendees,
    turn: deps.turn,
    throttle,
    addressOf: ({ socket }) => {
      const forwarded = trustProxy ? socket.handshake.headers['x-forwarded-for'] : undefined;
      const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
      return first || socket.handshake.address;
    },
    logger,
  };
  let listener;
  try {
    const { tlsCert, tlsKey } = deps.config.server;
    const tls = tlsCert && tlsKey ? { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) } : undefined;
    listener = await listenWorkspaces(app, metrics, {
      port: config.port,
      host: deps.config.server.host,
      tls,
      limit: (io) => limitDialectEvents(io, 'workspaces', deps.config.signaling.maxMessagesPerSecond, deps.registry),
    });
  } catch (err) {
    clearInterval(sweeper);
    metrics.close();
    throw err;
  }
  logger.info({ port: listener.port, workspaces: loaded }, 'webRTCWorkspaces dialect listening');
  const { port } = listener;
  const stop = listener.close;
  let closing: Promise<void> | undefined;
  return {
    name: 'workspaces',
    ports: { socketio: port },
    close: () =>
      (closing ??= (async () => {
        clearInterval(sweeper);
        await stop();
        metrics.close();
      })()),
  };
}

/** A secret generated once and kept in the store, so tokens stay valid across restarts. */
async function storedSecret(deps: DialectDeps, key: string): Promise<string> {
  const existing = await deps.store.getSetting(key);
  if (existing) return existing;
  const generated = randomBytes(32).toString('base64url');
  await deps.store.setSetting(key, generated);
  return generated;
}
