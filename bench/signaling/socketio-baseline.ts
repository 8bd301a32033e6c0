/**
 * The baseline: a minimal socket.io v4 relay, the pattern the socket.io systems Parley replaces
 * are built on (Inclubit, JSONgle, webRTCWorkspaces, Dogker). A client emits `join` with a room
 * name (acknowledged), then every `msg` it emits goes to the other member of its room, stamped with
 * the sender's socket id. No auth and no validation: it is the cheapest useful relay.
 *
 *   PORT=0 node socketio-baseline.mjs   # prints {"port":N} on stdout when listening
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

// Plain requests (the benchmark's readiness check) get a 200; socket.io takes /socket.io/.
const httpServer = createServer((_req, res) => res.end('ok'));
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });

io.on('connection', (socket) => {
  let room: string | undefined;
  socket.on('join', (name: unknown, ack?: (ok: boolean) => void) => {
    if (typeof name !== 'string' || room !== undefined) return ack?.(false);
    room = name;
    void socket.join(name);
    ack?.(true);
  });
  socket.on('msg', (payload: unknown) => {
    if (room !== undefined) socket.to(room).emit('msg', { from: socket.id, payload });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (httpServer.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
