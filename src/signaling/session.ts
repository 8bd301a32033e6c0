/**
 * A participant's signaling session. It outlives a WebSocket: notifications are numbered, the
 * recent ones kept, and a client that reconnects within the grace period resumes by saying the
 * last number it processed; the others never see it leave.
 */
import { randomBytes } from 'node:crypto';
import type { Participant, ParticipantSink } from '../core/participant.js';
import type { LeaveReason, ServerNotification } from './protocol.js';

/** What a session needs from the WebSocket it is attached to. */
export interface Outbound {
  sendRaw(frame: string): void;
  close(code: number, reason: string): void;
}

/**
 * While attached, only frames that may still be in flight when a socket dies are kept: the last
 * 128, and none older than 30 s (a dead socket is found within two keepalive intervals). While
 * detached, everything up to 4096 frames (the grace period bounds the time).
 */
const KEEP_WHILE_ATTACHED = 128;
const KEEP_AGE_WHILE_ATTACHED_MS = 30_000;
const KEEP_WHILE_DETACHED = 4096;

/** Serialises a notification once for all recipients; each frame then only adds its seq. */
const bodies = new WeakMap<ServerNotification, string>();
function frameOf(n: ServerNotification, seq: number): string {
  let body = bodies.get(n);
  if (body === undefined) {
    body = JSON.stringify(n);
    bodies.set(n, body);
  }
  return `{"seq":${seq},${body.slice(1)}`;
}

export class Session implements ParticipantSink {
  readonly resumeToken = randomBytes(24).toString('base64url');
  participant!: Participant;
  private seq = 0;
  /** Recent frames for replay on resume: a queue over three arrays, live from `head` on. */
  private readonly frames: string[] = [];
  private readonly seqs: number[] = [];
  private readonly times: number[] = [];
  private head = 0;
  private outbound: Outbound | undefined;
  private ended = false;
  private cancelGrace: (() => void) | undefined;

  constructor(
    outbound: Outbound,
    private readonly onEnded: (session: Session) => void,
  ) {
    this.outbound = outbound;
  }

  get attached(): boolean {
    return this.outbound !== undefined;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get lastSeq(): number {
    return this.seq;
  }

  deliver(notification: ServerNotification): void {
    if (this.ended) return;
    const seq = ++this.seq;
    const frame = frameOf(notification, seq);
    const now = Date.now();
    this.frames.push(frame);
    this.seqs.push(seq);
    this.times.push(now);
    this.trim(now);
    this.outbound?.sendRaw(frame);
  }

  private trim(now: number): void {
    const attached = this.outbound !== undefined;
    const keep = attached ? KEEP_WHILE_ATTACHED : KEEP_WHILE_DETACHED;
    const oldest = attached ? now - KEEP_AGE_WHILE_ATTACHED_MS : -Infinity;
    const end = this.frames.length;
    while (end - this.head > keep || (this.head < end && this.times[this.head]! < oldest)) this.head++;
    if (this.head > 32 && this.head * 2 > end) {
      this.frames.splice(0, this.head);
      this.seqs.splice(0, this.head);
      this.times.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The server ends the session: the client is told why, then the socket closes. */
  end(reason: LeaveReason, message?: string): void {
    if (this.ended) return;
    this.deliver({ type: 'leave', reason, ...(message ? { message } : {}) });
    this.finish();
    this.outbound?.close(1000, reason);
    this.outbound = undefined;
  }

  /**
   * The WebSocket `from` dropped: keep the participant for `graceMs`, then `onExpire`. A socket
   * that was already replaced by a resume is ignored.
   */
  detach(from: Outbound, graceMs: number, setTimer: (fn: () => void, ms: number) => () => void, onExpire: () => void): void {
    if (this.ended || this.outbound !== from) return;
    this.outbound = undefined;
    this.cancelGrace?.();
    this.cancelGrace = setTimer(() => {
      this.cancelGrace = undefined;
      if (!this.attached && !this.ended) onExpire();
    }, graceMs);
  }

  /** False when frames after `lastSeq` were already dropped (the client must rejoin instead). */
  canResume(lastSeq: number): boolean {
    if (this.ended || lastSeq > this.seq) return false;
    const oldest = this.seqs[this.head] ?? this.seq + 1;
    return lastSeq >= this.seq || lastSeq + 1 >= oldest;
  }

  /**
   * Attaches a new socket (closing a previous one that is still open) and replays every frame
   * after `lastSeq`. Call canResume first.
   */
  resume(outbound: Outbound, lastSeq: number): void {
    this.cancelGrace?.();
    this.cancelGrace = undefined;
    const previous = this.outbound;
    this.outbound = outbound;
    if (previous && previous !== outbound) previous.close(4001, 'resumed on another connection');
    for (let i = this.head; i < this.frames.length; i++) if (this.seqs[i]! > lastSeq) outbound.sendRaw(this.frames[i]!);
  }

  /** Marks the session over (left, expired or ended by the server). */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.cancelGrace?.();
    this.cancelGrace = undefined;
    this.onEnded(this);
  }
}
