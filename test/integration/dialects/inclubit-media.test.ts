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

    const remote = await new Promise<MediaStreamTrack>((resolve, reject) => {
      viewer.once('track', (t: MediaStreamTrack) => resolve(t));
      viewer.once('error', reject);
      camera.once('error', reject);
    });
    const received = await new Promise<{ width: number; height: number }>((resolve) => {
      const sink = new wrtc.nonstandard.RTCVideoSink(remote);
      sink.onframe = ({ frame: f }: { frame: { width: number; height: number } }) => {
        sink.stop();
        resolve({ width: f.width, height: f.height });
      };
    });
    expect(received).toEqual({ width: WIDTH, height: HEIGHT });

    // The path is the TURN relay on both ends.
    const pc = (viewer as unknown as { _pc: RTCPeerConnection })._pc;
    const stats = await pc.getStats();
    let pair: { localCandidateId?: string; remoteCandidateId?: string } | undefined;
    stats.forEach((s: { type: string; state?: string; nominated?: boolean }) => {
      if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) pair = s as typeof pair;
    });
    const local = pair?.localCandidateId ? stats.get(pair.localCandidateId) : undefined;
    const remoteCandidate = pair?.remoteCandidateId ? stats.get(pair.remoteCandidateId) : undefined;
    expect(local?.candidateType).toBe('relay');
    expect(remoteCandidate?.candidateType).toBe('relay');
  });
});
