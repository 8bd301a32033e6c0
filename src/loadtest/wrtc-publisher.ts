/**
 * A headless publisher on @roamhq/wrtc (libwebrtc): a synthetic I420 camera pushed through the
 * nonstandard RTCVideoSource, so the server gets real VP8 from libwebrtc's encoder, with its
 * congestion control, NACK and keyframes on PLI. The frames are a moving gradient under noise, so
 * the encoder spends the whole bitrate it is allowed.
 *
 * @roamhq/wrtc is typed against the DOM, which the server build does not include: this adapter
 * describes the little it uses.
 */
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Candidate, PublisherPeer } from './target.js';

interface WrtcIceCandidate {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
}
interface WrtcSender {
  getParameters(): { encodings?: Array<{ maxBitrate?: number }> };
  setParameters(p: unknown): Promise<void>;
}
interface WrtcTransceiver {
  mid: string | null;
  sender: WrtcSender;
}
interface WrtcPeerConnection {
  addTransceiver(track: unknown, init: { direction: 'sendonly'; streams?: unknown[] }): WrtcTransceiver;
  createOffer(): Promise<{ type: string; sdp: string }>;
  setLocalDescription(d: { type: string; sdp: string }): Promise<void>;
  setRemoteDescription(d: { type: string; sdp: string }): Promise<void>;
  addIceCandidate(c: WrtcIceCandidate | Candidate | null): Promise<void>;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
  close(): void;
  connectionState: string;
  onicecandidate: ((e: { candidate: WrtcIceCandidate | null }) => void) | null;
  onconnectionstatechange: (() => void) | null;
}
interface WrtcModule {
  RTCPeerConnection: new (config: { iceServers: unknown[]; bundlePolicy?: string }) => WrtcPeerConnection;
  MediaStream: new (tracks?: unknown[]) => unknown;
  nonstandard: {
    RTCVideoSource: new (init?: { isScreencast?: boolean }) => { createTrack(): { stop(): void }; onFrame(f: { width: number; height: number; data: Uint8Array }): void };
  };
}

const require = createRequire(import.meta.url);
let wrtc: WrtcModule | undefined;
/** Loaded on first use: the package is a devDependency, absent from production installs. */
function loadWrtc(): WrtcModule {
  wrtc ??= require('@roamhq/wrtc') as WrtcModule;
  return wrtc;
}

export interface WrtcPublisherOptions {
  width: number;
  height: number;
  fps: number;
  /** Cap of the encoder's bitrate, bits per second (RTCRtpSender maxBitrate and b=AS in the answer). */
  maxBitrate: number;
}

export class WrtcPublisher implements PublisherPeer {
  private readonly pc: WrtcPeerConnection;
  private readonly source: InstanceType<WrtcModule['nonstandard']['RTCVideoSource']>;
  private readonly track: { stop(): void };
  private readonly transceiver: WrtcTransceiver;
  private readonly frame: Uint8Array;
  private readonly noise: Uint8Array;
  private frameTimer: NodeJS.Timeout | undefined;
  private frameNo = 0;
  private remoteSet = false;
  private readonly earlyCandidates: Array<Candidate | null> = [];

  constructor(private readonly opts: WrtcPublisherOptions) {
    const w = loadWrtc();
    this.pc = new w.RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
    this.source = new w.nonstandard.RTCVideoSource();
    this.track = this.source.createTrack();
    this.transceiver = this.pc.addTransceiver(this.track, { direction: 'sendonly', streams: [new w.MediaStream([this.track])] });
    this.frame = new Uint8Array((opts.width * opts.height * 3) / 2);
    this.noise = new Uint8Array(opts.width * opts.height + 65_536);
    randomFillSync(this.noise);
  }

  get connectionState(): string {
    return this.pc.connectionState;
  }

  onLocalCandidate(cb: (c: Candidate | null) => void): void {
    this.pc.onicecandidate = (e) => cb(e.candidate ? { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex } : null);
  }

  async createOffer(): Promise<{ sdp: string; mid: string }> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    this.startFrames();
    return { sdp: offer.sdp, mid: this.transceiver.mid ?? '0' };
  }

  async setAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: mungeAnswer(sdp, this.opts.maxBitrate) });
    this.remoteSet = true;
    for (const c of this.earlyCandidates.splice(0)) await this.pc.addIceCandidate(c).catch(() => undefined);
    try {
      const params = this.transceiver.sender.getParameters();
      for (const e of params.encodings ?? []) e.maxBitrate = this.opts.maxBitrate;
      await this.transceiver.sender.setParameters(params);
    } catch {
      // b=AS in the answer caps the bitrate anyway
    }
  }

  async addRemoteCandidate(c: Candidate | null): Promise<void> {
    if (!this.remoteSet) {
      this.earlyCandidates.push(c);
      return;
    }
    if (c) await this.pc.addIceCandidate(c);
  }

  /** What libwebrtc says it sent (outbound-rtp of the video track). */
  async sentStats(): Promise<{ packets: number; bytes: number; width?: number; height?: number; fps?: number; nacks?: number; plis?: number }> {
    const stats = await this.pc.getStats();
    for (const s of stats.values()) {
      if (s.type === 'outbound-rtp' && (s.kind === 'video' || s.mediaType === 'video')) {
        return {
          packets: Number(s.packetsSent ?? 0),
          bytes: Number(s.bytesSent ?? 0),
          ...(s.frameWidth !== undefined ? { width: Number(s.frameWidth), height: Number(s.frameHeight) } : {}),
          ...(s.framesPerSecond !== undefined ? { fps: Number(s.framesPerSecond) } : {}),
          ...(s.nackCount !== undefined ? { nacks: Number(s.nackCount) } : {}),
          ...(s.pliCount !== undefined ? { plis: Number(s.pliCount) } : {}),
        };
      }
    }
    return { packets: 0, bytes: 0 };
  }

  close(): void {
    clearInterval(this.frameTimer);
    this.track.stop();
    this.pc.close();
  }

  private startFrames(): void {
    if (this.frameTimer) return;
    this.frameTimer = setInterval(() => this.pushFrame(), 1000 / this.opts.fps);
  }

  /** A diagonal gradient scrolling one pixel per frame, with noise from a random offset of a pool. */
  private pushFrame(): void {
    const { width, height } = this.opts;
    const f = this.frameNo++;
    const luma = width * height;
    const offset = (f * 7919) % (this.noise.length - luma);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) this.frame[row + x] = ((x + y + f) & 0xff) ^ (this.noise[offset + row + x]! & 0x3f);
    }
    this.frame.fill(128 + ((f >> 3) & 0x1f), luma);
    this.source.onFrame({ width, height, data: this.frame });
  }
}

/**
 * Prepares the server's answer for libwebrtc: adds `b=AS` (kbit/s) and `b=TIAS` to every video
 * section, and drops `a=ssrc`/`a=ssrc-group` lines of the recvonly sections (werift writes the
 * SSRCs it sends RTCP from, without msid; @roamhq/wrtc's libwebrtc then counts two tracks and
 * refuses the answer; a receive-only section's SSRCs mean nothing to the sender).
 */
export function mungeAnswer(sdp: string, bitsPerSecond: number): string {
  const lines = sdp.split(/\r\n/);
  const out: string[] = [];
  let inVideo = false;
  const recvonly = new Set<number>();
  let section = -1;
  for (const line of lines) {
    if (line.startsWith('m=')) section++;
    if (line === 'a=recvonly') recvonly.add(section);
  }
  section = -1;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      inVideo = line.startsWith('m=video');
      section++;
    }
    if (inVideo && line.startsWith('b=')) continue;
    if (recvonly.has(section) && (line.startsWith('a=ssrc:') || line.startsWith('a=ssrc-group:'))) continue;
    out.push(line);
    if (inVideo && line.startsWith('c=')) out.push(`b=AS:${Math.round(bitsPerSecond / 1000)}`, `b=TIAS:${bitsPerSecond}`);
  }
  return out.join('\r\n');
}
