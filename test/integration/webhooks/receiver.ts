/**
 * A real HTTP webhook receiver on 127.0.0.1, port 0. It records every request and answers with
 * whatever `respond` says (a status, or 'hang' to never answer). waitFor() resolves as soon as the
 * recorded requests satisfy a predicate, checked on each arrival (no polling), or rejects after a
 * bounded time.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface ReceivedRequest {
  index: number;
  /** performance.now() at arrival. */
  at: number;
  body: string;
  headers: IncomingHttpHeaders;
  /** Parsed body fields the tests look at. */
  event: { id: string; event: string; room: { name: string }; participant?: { identity: string } };
  status: number | 'hang';
}

export type Respond = (req: Omit<ReceivedRequest, 'status'>) => number | 'hang';

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Requests answered 2xx, in arrival order. */
  accepted(): ReceivedRequest[];
  waitFor(check: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(respond: Respond = () => 200): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const base = { index: requests.length, at: performance.now(), body, headers: req.headers, event: JSON.parse(body) as ReceivedRequest['event'] };
      const status = respond(base);
      requests.push({ ...base, status });
      if (status !== 'hang') res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      for (const w of [...waiters]) w();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');

  return {
    url: `http://127.0.0.1:${address.port}/hook`,
    requests,
    accepted: () => requests.filter((r) => typeof r.status === 'number' && r.status >= 200 && r.status < 300),
    waitFor(check, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const test = (): void => {
          if (!check(requests)) return;
          clearTimeout(timer);
          waiters.delete(test);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(test);
          reject(new Error(`receiver: condition not met within ${timeoutMs} ms; got ${requests.length} requests: ${requests.map((r) => `${r.event.room.name}/${r.event.event}=${r.status}`).join(', ')}`));
        }, timeoutMs);
        waiters.add(test);
        test();
      });
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
