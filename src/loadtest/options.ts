/** Options of a load test run, with their defaults. */
import type { ParleyTargetOptions } from './parley-target.js';
import type { SfuTarget } from './target.js';

export interface VideoOptions {
  /** Frame size pushed into the encoder (default 640x360). */
  width: number;
  height: number;
  /** Frames per second (default 30). */
  fps: number;
  /** Encoder bitrate cap in bits per second (default 1_500_000). */
  maxBitrate: number;
}

export interface LoadtestOptions {
  /** The server: Parley's URL, room and auth, or any SfuTarget (bench/sfu/janus.ts). */
  target: ParleyTargetOptions | SfuTarget;
  /** Publishers, each sending one VP8 video track (default 1). */
  publishers?: number;
  /** Subscribers, each receiving every published track (default 10). */
  subscribers?: number;
  video?: Partial<VideoOptions>;
  /** Seconds between "everyone connected" and the measured window (default 5: the encoder ramps up). */
  warmupSeconds?: number;
  /**
   * After the warmup, wait (at most rampTimeoutSeconds, default 20) until every publisher sends at
   * least this share of video.maxBitrate (default 0.85), so the window measures the full bitrate.
   */
  rampRatio?: number;
  rampTimeoutSeconds?: number;
  /** Length of the measured window in seconds (default 15). */
  durationSeconds?: number;
  /** Subscribers joining at once (default 10). */
  connectConcurrency?: number;
  /** Seconds to wait for every peer's DTLS to be up before going on without the missing ones (default 20). */
  connectTimeoutSeconds?: number;
  /** Process id of the server: its CPU time and memory (with its child processes) go into the report. */
  serverPid?: number;
  /** Local address the subscribers gather ICE candidates on (default: all interfaces). */
  bindAddress?: string;
  /** Called about once a second. */
  onProgress?: (p: LoadtestProgress) => void;
  /** Aborts the run (the report then covers what was measured so far). */
  signal?: AbortSignal;
}

export const DEFAULT_VIDEO: VideoOptions = { width: 640, height: 360, fps: 30, maxBitrate: 1_500_000 };

export type LoadtestPhase = 'connecting' | 'warmup' | 'measuring' | 'done';

/** One progress line: the last second. */
export interface LoadtestProgress {
  phase: LoadtestPhase;
  /** Seconds since the run started. */
  elapsed: number;
  publishersConnected: number;
  publishers: number;
  subscribersConnected: number;
  /** Connected subscribers that received no media packet in the last second. */
  subscribersStarved: number;
  subscribers: number;
  /** Media packets received by all subscribers in the last second. */
  packetsPerSecond: number;
  /** Loss over the last second, all subscribers (0..1). */
  lossRatio: number;
  /** Mean received bitrate per connected subscriber, bits per second. */
  bitratePerSubscriber: number;
  /** Server CPU in the last second, in cores (1 = one core busy); absent without serverPid. */
  serverCpu?: number;
  serverRssBytes?: number;
}
