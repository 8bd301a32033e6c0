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

const KEEP_WHILE_ATTACHED = 256;
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
  /** Recent frames, oldest first, for replay on resume. */
  private readonly recent: Array<{ seq: number; frame: string }> = [];
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
    this.recent.push({ seq, frame });
    const keep = this.outbound ? KEEP_WHILE_ATTACHED : KEEP_WHILE_DETACHED;
    if (this.recent.length > keep) this.recent.splice(0, this.recent.length - keep);
    this.outbound?.sendRaw(frame);
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
    const oldest = this.recent[0]?.seq ?? this.seq + 1;
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
    for (const f of this.recent) if (f.seq > lastSeq) outbound.sendRaw(f.frame);
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
