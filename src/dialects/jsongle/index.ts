/**
 * The JSONgle dialect (JSONgle-Server 2.0.2 compatible): a socket.io server on its own port and the
 * monitoring REST API on another, mapping JSONgle rooms onto Parley's rooms. The composition root
 * calls startJsongleDialect when `dialects.enabled` lists "jsongle". See docs/dialects/jsongle.md.
 */
import { limitDialectEvents } from '../rate-limit.js';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { DialectDeps, RunningDialect } from '../types.js';
import { DialectLog } from './logs.js';
import { createJsongleMetrics } from './metrics.js';
import { createRestApp } from './rest.js';
import { JsongleRooms } from './rooms.js';
import { createSocketServer } from './server.js';
import { Sessions } from './session.js';

export async function startJsongleDialect(deps: DialectDeps): Promise<RunningDialect> {
  const cfg = deps.config.dialects.jsongle;
  const { host, tlsCert, tlsKey } = deps.config.server;
  const tls = tlsCert && tlsKey ? { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) } : undefined;
  const log = new DialectLog(deps.logger, { dialect: 'jsongle' });
  const sessions = new Sessions();
  // The rooms are built before the metrics read them; the gauges only read on scrape.
  const gauges = { users: () => sessions.size, conferences: () => rooms.activeRooms(), calls: () => rooms.activeCalls() };
  const metrics = createJsongleMetrics(deps.registry, gauges);
  const rooms: JsongleRooms = new JsongleRooms({
    rooms: deps.rooms,
    sessions,
    serverId: cfg.serverId,
    limits: { room: cfg.maxMembersPerRoom, muc: cfg.maxMembersPerMultiRoom },
    metrics,
    log,
  });

  const socket = createSocketServer({
    serverId: cfg.serverId,
    appToken: cfg.appToken,
    maxUsers: cfg.maxUsers,
    corsOrigin: cfg.corsOrigin,
    tls,
    sessions,
    rooms,
    metrics,
    log,
  });
  limitDialectEvents(socket.io, 'jsongle', deps.config.signaling.maxMessagesPerSecond, deps.registry);
  const ports = { socketio: 0, rest: 0 };
  const rest = await createRestApp({
    registry: deps.registry,
    metrics,
    log,
    startedAt: new Date(),
    ports: () => ({ restPort: ports.rest, wsPort: ports.socketio }),
    useSSL: tls !== undefined,
    tls,
    selfCheck: () => socket.http.listening,
    diskPath: deps.config.dataDir,
  });

  try {
    await new Promise<void>((resolve, reject) => {
      socket.http.once('error', reject);
      socket.http.listen(cfg.port, host, () => {
        socket.http.off('error', reject);
        resolve();
      });
    });
    ports.socketio = (socket.http.address() as AddressInfo).port;
    await rest.listen({ port: cfg.restPort, host });
    ports.rest = (rest.server.address() as AddressInfo).port;
  } catch (err) {
    await Promise.allSettled([socket.close(), rest.close()]);
    metrics.unregister();
    throw err;
  }
  log.info({ ports }, `JSONgle dialect listening: socket.io on ${ports.socketio}, REST on ${ports.rest}`);

  let closed: Promise<void> | undefined;
  return {
    name: 'jsongle',
    ports: { ...ports },
    close: () =>
      (closed ??= (async () => {
        await Promise.allSettled([socket.close(), rest.close()]);
        metrics.unregister();
      })()),
  };
}
