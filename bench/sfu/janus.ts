/**
 * The load tester's Janus target: the VideoRoom plugin over Janus's HTTP API (one Janus session
 * for everyone, one handle per participant, one long poll for all the events). A room with one
 * VP8 publisher; each subscriber joins with `streams: [{feed}]` for every publisher, answers the
 * plugin's offer with `start`, and trickles its candidates (Janus puts its own in the SDP).
 */
import type { Candidate, PublisherPeer, SfuTarget, SubscriberPeer, TargetSession } from '../../src/loadtest/index.js';

interface JanusMessage {
  janus: string;
  transaction?: string;
  sender?: number;
  data?: { id: number };
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: { type: string; sdp: string };
  error?: { code: number; reason: string };
}

export interface JanusTargetOptions {
  /** Janus HTTP API base, e.g. http://10.77.0.2:8088/janus */
  url: string;
  room?: number;
  /** REMB cap Janus sends the publisher (bits per second; default 2_000_000). */
  bitrate?: number;
}

export function janusTarget(opts: JanusTargetOptions): SfuTarget {
  const room = opts.room ?? 4242;
  let session = 0;
  let txn = 0;
  let polling = false;
  const waiters = new Map<string, (m: JanusMessage) => void>();
  const publisherIds: number[] = [];

  async function post(path: string, body: Record<string, unknown>): Promise<JanusMessage> {
    const res = await fetch(`${opts.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const m = (await res.json()) as JanusMessage;
    if (m.janus === 'error') throw new Error(`janus ${String(body.janus)}: ${m.error?.code} ${m.error?.reason}`);
    return m;
  }

  async function poll(): Promise<void> {
    while (polling) {
      try {
        const res = await fetch(`${opts.url}/${session}?maxev=100&rid=${Date.now()}`);
        const events = (await res.json()) as JanusMessage[] | JanusMessage;
        for (const e of Array.isArray(events) ? events : [events]) {
          if (e.transaction && waiters.has(e.transaction)) {
            waiters.get(e.transaction)!(e);
            waiters.delete(e.transaction);
          }
        }
      } catch {
        if (polling) await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async function attach(): Promise<number> {
    const m = await post(`/${session}`, { janus: 'attach', plugin: 'janus.plugin.videoroom', transaction: `t${txn++}` });
    return m.data!.id;
  }

  /** A plugin request; asynchronous ones (ack) resolve with their event. */
  async function message(handle: number, body: Record<string, unknown>, jsep?: { type: string; sdp: string }): Promise<JanusMessage> {
    const transaction = `t${txn++}`;
    let timer: NodeJS.Timeout | undefined;
    const event = new Promise<JanusMessage>((resolve, reject) => {
      waiters.set(transaction, resolve);
      timer = setTimeout(() => (waiters.delete(transaction), reject(new Error(`janus ${String(body.request)}: no event in 20 s`))), 20_000);
    });
    let m: JanusMessage;
    try {
      m = await post(`/${session}/${handle}`, { janus: 'message', transaction, body, ...(jsep ? { jsep } : {}) });
    } catch (err) {
      clearTimeout(timer);
      waiters.delete(transaction);
      throw err;
    }
    if (m.janus !== 'ack') {
      // a synchronous answer (success or error): no event will follow
      clearTimeout(timer);
      waiters.delete(transaction);
      return m;
    }
    const e = await event.finally(() => clearTimeout(timer));
    const err = e.plugindata?.data.error;
    if (err) throw new Error(`janus ${String(body.request)}: ${String(err)}`);
    return e;
  }

  const trickle = (handle: number) => (c: Candidate | null) =>
    void post(`/${session}/${handle}`, { janus: 'trickle', transaction: `t${txn++}`, candidate: c ? { candidate: c.candidate, sdpMid: c.sdpMid ?? '0', sdpMLineIndex: c.sdpMLineIndex ?? 0 } : { completed: true } }).catch(() => undefined);

  const detach = (handle: number): TargetSession => ({
    async close() {
      await post(`/${session}/${handle}`, { janus: 'detach', transaction: `t${txn++}` }).catch(() => undefined);
    },
  });

  return {
    name: 'janus',

    async prepare(participants) {
      const m = await post('', { janus: 'create', transaction: `t${txn++}` });
      session = m.data!.id;
      polling = true;
      void poll();
      const admin = await attach();
      await message(admin, { request: 'destroy', room }).catch(() => undefined);
      const created = await message(admin, {
        request: 'create', room, publishers: 4, bitrate: opts.bitrate ?? 2_000_000, videocodec: 'vp8', audiocodec: 'opus',
        fir_freq: 10, notify_joining: false, permanent: false, description: `loadtest ${participants}`,
      });
      if (created.plugindata?.data.videoroom !== 'created') throw new Error(`janus create room: ${JSON.stringify(created.plugindata?.data)}`);
    },

    async publish(index, peer: PublisherPeer) {
      const handle = await attach();
      const joined = await message(handle, { request: 'join', ptype: 'publisher', room, display: `lt-pub-${index}` });
      publisherIds.push(Number(joined.plugindata!.data.id));
      peer.onLocalCandidate(trickle(handle));
      const offer = await peer.createOffer();
      const answer = await message(handle, { request: 'publish', audio: false, video: true, bitrate: opts.bitrate ?? 2_000_000 }, { type: 'offer', sdp: offer.sdp });
      if (!answer.jsep) throw new Error(`janus publish: no answer (${JSON.stringify(answer.plugindata?.data)})`);
      await peer.setAnswer(answer.jsep.sdp);
      return detach(handle);
    },

    async subscribe(_index, peer: SubscriberPeer) {
      const handle = await attach();
      peer.onLocalCandidate(trickle(handle));
      const attached = await message(handle, { request: 'join', ptype: 'subscriber', room, streams: publisherIds.map((feed) => ({ feed })) });
      if (!attached.jsep) throw new Error(`janus subscribe: no offer (${JSON.stringify(attached.plugindata?.data)})`);
      const sdp = await peer.answer(attached.jsep.sdp);
      await message(handle, { request: 'start', room }, { type: 'answer', sdp });
      return detach(handle);
    },

    async close() {
      polling = false;
      if (session) await post(`/${session}`, { janus: 'destroy', transaction: `t${txn++}` }).catch(() => undefined);
    },
  };
}
