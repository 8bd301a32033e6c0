/**
 * A werift peer for test/e2e/turn-nat.test.ts, run inside a private network namespace.
 * usage: node --import tsx test/e2e/turn-nat-peer.ts offer|answer '<iceServers JSON>'
 * stdin/stdout: JSON lines ({sdp}, then events {event: 'connected'|'media'|'dc', ...}).
 */
import { createInterface } from 'node:readline';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, type RTCSessionDescriptionInit } from 'werift';

const role = process.argv[2];
const iceServers = JSON.parse(process.argv[3] ?? '[]') as Array<{ urls: string[]; username?: string; credential?: string }>;
const out = (m: unknown): void => void process.stdout.write(`${JSON.stringify(m)}\n`);
const pc = new RTCPeerConnection({ iceServers: iceServers.map((s) => ({ urls: s.urls[0] ?? '', username: s.username, credential: s.credential })), iceTransportPolicy: 'relay' });
const lines = createInterface({ input: process.stdin });

async function gathered(): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve()));
}

pc.connectionStateChange.subscribe((s) => {
  if (s === 'connected') {
    const pair = pc.iceTransports[0]?.connection.nominated;
    out({ event: 'connected', local: pair?.localCandidate.type, remote: pair?.remoteCandidate.type });
  }
});

if (role === 'offer') {
  const track = new MediaStreamTrack({ kind: 'video' });
  pc.addTransceiver(track, { direction: 'sendonly' });
  const dc = pc.createDataChannel('turn-nat');
  dc.stateChanged.subscribe((s) => s === 'open' && dc.send('hello through the relay'));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered();
  out({ sdp: pc.localDescription });
  lines.on('line', (line) => {
    const m = JSON.parse(line) as { sdp?: RTCSessionDescriptionInit };
    if (m.sdp) void pc.setRemoteDescription(m.sdp);
  });
  let seq = 0;
  const timer = setInterval(() => {
    if (pc.connectionState !== 'connected') return;
    seq = (seq + 1) & 0xffff;
    track.writeRtp(new RtpPacket(new RtpHeader({ sequenceNumber: seq, timestamp: seq * 3000, payloadType: 96, marker: true }), Buffer.alloc(200, seq & 0xff)));
  }, 20);
  process.stdin.once('end', () => clearInterval(timer));
} else {
  let packets = 0;
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      packets++;
      if (packets === 50) out({ event: 'media', packets, bytes: rtp.payload.length });
    });
  });
  pc.onDataChannel.subscribe((dc) => dc.onMessage.subscribe((m) => out({ event: 'dc', message: m.toString() })));
  lines.on('line', (line) => {
    const m = JSON.parse(line) as { sdp?: RTCSessionDescriptionInit };
    if (!m.sdp) return;
    void (async () => {
      await pc.setRemoteDescription(m.sdp as RTCSessionDescriptionInit);
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered();
      out({ sdp: pc.localDescription });
    })();
  });
}
process.stdin.once('end', () => void pc.close().then(() => process.exit(0)));
