/**
 * Inclubit end to end with media, as the original app runs it: a "camera" peer and a "viewer" peer
 * (simple-peer on @roamhq/wrtc) signal through the Inclubit dialect, take TURN credentials from
 * /user/get-turn-credentials, and, relay-only, exchange video through Parley's own TURN server.
 */
import wrtc from '@roamhq/wrtc';
import { Registry } from 'prom-client';
import SimplePeer from 'simple-peer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { createTurnService, type TurnService } from '../../../src/turn/index.js';
import { ADMIN, basic, INCLUBIT_TURN_SECRET, Peer, startInclubit, type InclubitHarness } from './inclubit-harness.js';

const WIDTH = 320;
const HEIGHT = 240;

let turn: TurnService;
let h: InclubitHarness;
const cleanup: Array<() => void> = [];

beforeAll(async () => {
  // TURN binds UDP and TCP on one port: pick a random one and retry when it is taken.
  for (let attempt = 0; ; attempt++) {
    const config = loadConfig({
      env: { PARLEY_TURN_PORT: String(20000 + Math.floor(Math.random() * 20000)), PARLEY_TURN_ALLOW_LOOPBACK_PEERS: 'true', PARLEY_TURN_RELAY_PORT_MIN: '40000', PARLEY_TURN_RELAY_PORT_MAX: '44999' },
      overrides: { 'turn.listenIp': '127.0.0.1', 'turn.workers': '1' },
    });
    turn = createTurnService({ config: config.turn, secret: INCLUBIT_TURN_SECRET, logger: silentLogger(), registry: new Registry() });
    try {
      await turn.start();
      break;
    } catch (err) {
      await turn.close().catch(() => undefined);
      if (attempt >= 5 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
  h = await startInclubit(createMemoryStore());
});

afterAll(async () => {
  for (const fn of cleanup.reverse()) fn();
  await h?.close();
  await turn?.close();
});

interface TurnCredentials {
  username: string;
  password: string;
}

async function credentials(user: string, password: string): Promise<TurnCredentials> {
  const res = await fetch(`${h.authUrl}/user/get-turn-credentials`, { headers: basic(user, password) });
  expect(res.status).toBe(200);
  return (await res.json()) as TurnCredentials;
}

function peerConfig(creds: TurnCredentials): RTCConfiguration {
  const url = `127.0.0.1:${turn.ports.udp}`;
  return {
    iceServers: [{ urls: `stun:${url}` }, { urls: `turn:${url}?transport=udp`, username: creds.username, credential: creds.password }],
    iceTransportPolicy: 'relay',
  };
}

/** `promise`, or a clear failure after `ms` (instead of the test's own timeout). */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface StatsEntry {
  type: string;
  state?: string;
  candidateType?: string;
  localCandidateId?: string;
  remoteCandidateId?: string;
}

/** Candidate types of the local candidates, and of the succeeded pair (waits up to 10 s for one). */
async function relayPath(pc: RTCPeerConnection): Promise<{ local: string[]; pair: { local?: string; remote?: string } }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const stats = await pc.getStats();
    const all: StatsEntry[] = [];
    stats.forEach((s: StatsEntry) => all.push(s));
    const local = [...new Set(all.filter((s) => s.type === 'local-candidate').map((s) => s.candidateType ?? '?'))];
    const pair = all.find((s) => s.type === 'candidate-pair' && s.state === 'succeeded');
    if (pair || Date.now() > deadline) {
      const type = (id?: string) => (id ? (stats.get(id) as StatsEntry | undefined)?.candidateType : undefined);
      return { local, pair: { local: type(pair?.localCandidateId), remote: type(pair?.remoteCandidateId) } };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Wires a simple-peer to the Inclubit signaling, as js/peer-utils.js does. */
function wire(p: SimplePeer.Instance, socket: Peer): void {
  p.on('signal', (data) => socket.socket.emit('signal', data));
  socket.socket.on('signal', (data: SimplePeer.SignalData) => p.signal(data));
}

describe('Inclubit media through Parley TURN', () => {
  it('camera to viewer video, relay only', async () => {
    const add = await fetch(`${h.authUrl}/admin/add-users`, {
      method: 'POST',
      headers: { ...basic(ADMIN.user, ADMIN.password), 'content-type': 'application/json' },
      body: JSON.stringify({ cam: { password: 'cam-pw', canCreateRooms: true }, vr: { password: 'vr-pw', canCreateRooms: false } }),
    });
    expect(add.status).toBe(200);
    const room = 'media-room';

    // Camera: a synthetic video track, a non-initiating peer, then join as the sender.
    const source = new wrtc.nonstandard.RTCVideoSource();
    const track = source.createTrack();
    const frame = { width: WIDTH, height: HEIGHT, data: new Uint8Array(WIDTH * HEIGHT * 1.5).fill(128) };
    const pump = setInterval(() => source.onFrame(frame), 33);
    cleanup.push(() => (clearInterval(pump), track.stop()));
    const cameraSocket = await Peer.connect(h.signalingUrl);
    cleanup.push(() => cameraSocket.close());
    const camera = new SimplePeer({ initiator: false, wrtc, stream: new wrtc.MediaStream([track]), config: peerConfig(await credentials('cam', 'cam-pw')) });
    cleanup.push(() => camera.destroy());
    wire(camera, cameraSocket);
    cameraSocket.socket.emit('peerObjectCreated');
    await cameraSocket.request('join', room, { nick: 'cam', sender: true });

    // Viewer: join, and with two members make the initiating peer.
    const viewerSocket = await Peer.connect(h.signalingUrl);
    cleanup.push(() => viewerSocket.close());
    const members = await viewerSocket.request<unknown[]>('join', room, { nick: 'vr', sender: false });
    expect(members).toHaveLength(2);
    const viewer = new SimplePeer({ initiator: true, wrtc, config: peerConfig(await credentials('vr', 'vr-pw')) });
    cleanup.push(() => viewer.destroy());
    wire(viewer, viewerSocket);

    const remote = await within(15_000, 'the remote track', new Promise<MediaStreamTrack>((resolve, reject) => {
      viewer.once('track', (t: MediaStreamTrack) => resolve(t));
      viewer.once('error', (err: Error) => reject(new Error(`viewer peer: ${err.message}`)));
      camera.once('error', (err: Error) => reject(new Error(`camera peer: ${err.message}`)));
    }));
    const received = await within(15_000, 'a decoded video frame', new Promise<{ width: number; height: number }>((resolve) => {
      const sink = new wrtc.nonstandard.RTCVideoSink(remote);
      sink.onframe = ({ frame: f }: { frame: { width: number; height: number } }) => {
        sink.stop();
        resolve({ width: f.width, height: f.height });
      };
    }));
    expect(received).toEqual({ width: WIDTH, height: HEIGHT });

    // The path is the TURN relay on both ends: every local candidate is a relay candidate, and a
    // pair of relay candidates carries the media. Stats lag the media a little, so poll them.
    const pc = (viewer as unknown as { _pc: RTCPeerConnection })._pc;
    const path = await relayPath(pc);
    expect(path.local).toEqual(['relay']);
    expect(path.pair).toEqual({ local: 'relay', remote: 'relay' });
  });
});
