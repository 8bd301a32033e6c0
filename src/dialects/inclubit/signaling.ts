/**
 * The socket.io runner of the Inclubit signaling: feeds each event to the handler table and, on a
 * disconnect, tells the remaining peer who is left in the room (the original never did).
 */
import type { Server, Socket } from 'socket.io';
import type { Logger } from '../../observability/logger.js';
import { CLIENT_EVENTS, handlers, splitAck } from './handlers.js';
import type { InclubitMetrics, Outcome } from './metrics.js';
import type { InclubitRooms } from './rooms.js';

export function serveSignaling(io: Server, rooms: InclubitRooms, metrics: InclubitMetrics, logger: Logger): void {
  io.on('connection', (socket: Socket) => {
    metrics.sockets.inc();
    for (const event of CLIENT_EVENTS) {
      socket.on(event, (...raw: unknown[]) => {
        const { args, ack } = splitAck(raw);
        let outcome: Outcome;
        try {
          outcome = handlers[event]({ socket, rooms }, args, ack);
        } catch (err) {
          outcome = 'error';
          logger.error({ err, event, socket: socket.id }, 'inclubit: handler failed');
        }
        metrics.events.inc({ event, outcome });
      });
    }
    socket.on('disconnect', () => {
      metrics.sockets.dec();
      const left = rooms.leave(socket, 'disconnected');
      if (left !== undefined) rooms.announce(left);
    });
  });
}
