/**
 * The load tester's Parley target: native protocol v1 (docs/signaling.md "SFU rooms"). Publishers
 * `join`, `publish_track` and send `sfu_offer` for their publisher connection; subscribers `join`
 * with autoSubscribe and answer the server's `sfu_offer` notifications with `sfu_answer`; both
 * trickle `sfu_candidate`.
 */
import { createToken } from '../auth/tokens.js';
import type { Grants } from '../core/grants.js';
import type { IceCandidateInit, JoinResult, SfuTarget as SfuConnection } from '../signaling/protocol.js';
import { SignalClient } from './signal-client.js';
import type { Candidate, PublisherPeer, SfuTarget, SubscriberPeer, TargetSession } from './target.js';

/** How the load tester gets join tokens. */
export type ParleyAuth =
  /** Development mode: POST /api/dev/token (the server runs without API keys). */
  | { kind: 'dev' }
  /** Sign tokens with an API key pair; the room is also created through the REST API (with room for everyone). */
  | { kind: 'key'; apiKey: string; apiSecret: string };

export interface ParleyTargetOptions {
  /** HTTP base URL of the server, e.g. http://127.0.0.1:7880 (signaling is at <url>/rtc over ws). */
  url: string;
  /** Room name; the room is created on first join (or through the REST API with `auth.kind: 'key'`). */
  room: string;
  auth: ParleyAuth;
  /** Signaling path (default `/rtc`). */
  signalingPath?: string;
}

export function parleyTarget(opts: ParleyTargetOptions): SfuTarget {
  const base = opts.url.replace(/\/+$/, '');
  const wsUrl = base.replace(/^http/, 'ws') + (opts.signalingPath ?? '/rtc');

  async function token(identity: string, grants: Grants): Promise<string> {
    if (opts.auth.kind === 'key') {
      return createToken({ key: opts.auth.apiKey, secret: opts.auth.apiSecret }, { identity, grants: { room: opts.room, ...grants }, ttlSeconds: 3600 });
    }
    const res = await fetch(`${base}/api/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room: opts.room, name: identity, identity }),
    });
    if (!res.ok) throw new Error(`POST /api/dev/token: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  }

  async function join(identity: string, grants: Grants): Promise<{ client: SignalClient; result: JoinResult }> {
    const client = await SignalClient.connect(wsUrl);
    try {
      const result = await client.request<JoinResult>({ type: 'join', token: await token(identity, grants), protocol: 1, autoSubscribe: true });
      if (result.room.type !== 'sfu') throw new Error(`room "${opts.room}" is a ${result.room.type} room, not an SFU room`);
      return { client, result };
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  const session = (client: SignalClient): TargetSession => ({
    problems: client.unsolicitedErrors,
    async close() {
      await client.request({ type: 'leave' }, 3000).catch(() => undefined);
      await client.close();
    },
  });

  /** Trickles a peer's candidates to the server for one of its two connections. */
  const trickle = (client: SignalClient, target: SfuConnection) => (c: Candidate | null) =>
    client.send({ type: 'sfu_candidate', target, candidate: c ? toInit(c) : null });

  return {
    name: 'parley',

    async prepare(participants) {
      if (opts.auth.kind !== 'key') return;
      const admin = await token('loadtest-admin', { roomCreate: true });
      const res = await fetch(`${base}/api/rooms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ name: opts.room, type: 'sfu', maxParticipants: Math.min(1000, participants + 8) }),
      });
      if (!res.ok && res.status !== 409) throw new Error(`POST /api/rooms: ${res.status} ${await res.text()}`);
    },

    async publish(index, peer, video) {
      const { client } = await join(`lt-pub-${index}`, { roomJoin: true, canPublish: true, canSubscribe: false });
      client.on('sfu_candidate', (n) => {
        if (n.target === 'publisher') void peer.addRemoteCandidate(n.candidate ? { ...n.candidate } : null).catch(() => undefined);
      });
      peer.onLocalCandidate(trickle(client, 'publisher'));
      const { track } = await client.request<{ track: { sid: string } }>({ type: 'publish_track', cid: `lt-video-${index}`, kind: 'video', source: 'camera', width: video.width, height: video.height });
      const offer = await peer.createOffer();
      const answer = await client.request<{ sdp: string }>({ type: 'sfu_offer', sdp: offer.sdp, tracks: [{ mid: offer.mid, trackSid: track.sid }] });
      await peer.setAnswer(answer.sdp);
      return session(client);
    },

    async subscribe(index, peer) {
      const { client } = await join(`lt-sub-${index}`, { roomJoin: true, canPublish: false, canSubscribe: true });
      client.on('subscription_failed', (n) => client.unsolicitedErrors.push(`subscription_failed ${n.code}: ${n.message}`));
      peer.onLocalCandidate(trickle(client, 'subscriber'));
      client.on('sfu_candidate', (n) => {
        if (n.target === 'subscriber') peer.addRemoteCandidate(n.candidate ? { ...n.candidate } : null);
      });
      let answered!: () => void;
      let failed!: (err: Error) => void;
      const firstAnswer = new Promise<void>((resolve, reject) => {
        answered = resolve;
        failed = reject;
      });
      // Offers are answered one at a time, in order: the server never has two outstanding.
      let chain = Promise.resolve();
      client.on('sfu_offer', (n) => {
        chain = chain
          .then(async () => {
            const sdp = await peer.answer(n.sdp);
            await client.request({ type: 'sfu_answer', sdp });
            answered();
          })
          .catch((err: unknown) => failed(err instanceof Error ? err : new Error(String(err))));
      });
      const timer = setTimeout(() => failed(new Error('no sfu_offer from the server within 15 s of joining')), 15_000);
      try {
        await firstAnswer;
      } catch (err) {
        await client.close();
        throw err;
      } finally {
        clearTimeout(timer);
      }
      return session(client);
    },

    async close() {
      if (opts.auth.kind !== 'key') return;
      const admin = await token('loadtest-admin', { roomCreate: true });
      await fetch(`${base}/api/rooms/${encodeURIComponent(opts.room)}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } }).catch(() => undefined);
    },
  };
}

function toInit(c: Candidate): IceCandidateInit {
  return {
    candidate: c.candidate.replace(/^a=/, ''),
    ...(c.sdpMid != null ? { sdpMid: c.sdpMid } : {}),
    ...(c.sdpMLineIndex != null ? { sdpMLineIndex: c.sdpMLineIndex } : {}),
  };
}
