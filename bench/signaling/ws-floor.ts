/**
 * The floor: the least a Node server on `ws` can do to relay this benchmark's traffic in Parley's
 * wire format. Join takes any token (no JWT check), rooms are pairs, and a `data` message is parsed
 * and re-serialised for the peer with a server-stamped sender and a sequence number, exactly like
 * Parley's frames, but with no validation, sessions, resume buffer or metrics. Parley cannot be
 * cheaper per message than this without leaving ws + JSON; it bounds what src/signaling/* can gain.
 *
 *   PORT=0 node ws-floor.mjs   # prints {"port":N} on stdout when listening
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

interface Member {
  ws: WebSocket;
  sid: string;
  identity: string;
  seq: number;
}

const rooms = new Map<string, Member[]>();
let nextSid = 1;

/** The room of a token, read without verifying it (the floor skips auth on purpose). */
function claims(token: string): { room: string; identity: string } {
  const body = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string; grants: { room: string } };
  return { room: body.grants.room, identity: body.sub };
}

const httpServer = createServer((_req, res) => res.end('ok'));
const wss = new WebSocketServer({ server: httpServer, path: '/rtc', perMessageDeflate: false });

wss.on('connection', (ws) => {
  let me: Member | undefined;
  let members: Member[] = [];
  ws.on('message', (raw) => {
    const msg = JSON.parse(raw.toString()) as { id?: number; type: string; token?: string; to?: string[]; payload?: unknown };
    if (msg.type === 'join' && msg.token) {
      const { room, identity } = claims(msg.token);
      me = { ws, sid: `PA_${nextSid++}`, identity, seq: 0 };
      members = rooms.get(room) ?? [];
      rooms.set(room, members);
      const others = members.map((m) => ({ sid: m.sid, identity: m.identity }));
      for (const m of members) m.ws.send(JSON.stringify({ seq: ++m.seq, type: 'participant_joined', participant: { sid: me.sid, identity } }));
      members.push(me);
      ws.send(JSON.stringify({ type: 'response', id: msg.id, data: { participant: { sid: me.sid }, participants: others } }));
    } else if (msg.type === 'data' && me) {
      const from = me;
      for (const m of members) {
        if (m === from || (msg.to && !msg.to.includes(m.sid))) continue;
        m.ws.send(JSON.stringify({ seq: ++m.seq, type: 'data', from: { sid: from.sid, identity: from.identity }, payload: msg.payload, ts: Date.now() }));
      }
    }
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (httpServer.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
