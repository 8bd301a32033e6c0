/** Messages between the main thread (worker-plane.ts) and a media worker thread (worker.ts). */
import type { RoomEvent } from '../core/room-service.js';
import type { LoggerOptions } from '../observability/logger.js';
import type { ParticipantInfo, ServerNotification } from '../signaling/protocol.js';
import type { MediaPlane, SfuStats } from './media-plane.js';

export interface MediaWorkerInit {
  readonly log: LoggerOptions;
  readonly portRange: readonly [number, number];
  readonly publicIp: string | undefined;
  readonly maxLoad: number;
  readonly native: boolean;
  readonly pumpBatchMs: number;
  readonly index: number;
  readonly count: number;
}

/** The MediaPlane methods that take a participant and return a promise. */
export type MediaCall = 'publisherOffer' | 'subscriberAnswer' | 'candidate' | 'subscribe' | 'trackSettings';
export type MediaCallArgs<M extends MediaCall> = Parameters<MediaPlane[M]> extends [unknown, ...infer Rest] ? Rest : never;

export type ToMediaWorker =
  | { t: 'attach'; room: { sid: string; name: string }; participant: ParticipantInfo; autoSubscribe: boolean }
  | { t: 'event'; event: RoomEvent }
  | { t: 'call'; id: number; method: MediaCall; participantSid: string; args: unknown[] }
  | { t: 'stats'; id: number }
  | { t: 'close'; id: number };

export type FromMediaWorker =
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; code: string; message: string }
  | { t: 'deliver'; participantSid: string; notification: ServerNotification }
  | { t: 'broadcast'; roomSid: string; notification: ServerNotification }
  | { t: 'ready' }
  | { t: 'load'; load: number }
  | { t: 'stats'; id: number; stats: SfuStats };
