/** Messages between the benchmark orchestrator (bench.ts) and its load-generator processes. */

export type Target = 'parley' | 'socketio';

export interface PairSpec {
  room: string;
  /** Parley access tokens of the two members (unused by the socket.io baseline). */
  tokens: [string, string];
}

export type ToWorker =
  | { type: 'config'; target: Target; origin: string; pairs: PairSpec[]; rate: number; concurrency: number }
  /** Start sending (warm-up: nothing is counted yet). */
  | { type: 'send' }
  /** Start counting: messages sent from now on are measured. */
  | { type: 'measure' }
  /** Stop counting, stop sending, wait for stragglers, then report. */
  | { type: 'stop'; drainMs: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'connected'; clients: number; failed: number; firstError?: string }
  | { type: 'measuring' }
  | {
      type: 'result';
      /** Clients whose socket was still open at the end of the window. */
      held: number;
      /** Relayed messages sent and received during the measurement window. */
      sent: number;
      received: number;
      /** Measured messages that never arrived (after the drain). */
      lost: number;
      errors: number;
      /** Relay latency of each measured message, in milliseconds. */
      latencies: number[];
      /** p99 event-loop delay of this generator process during the window, ms. */
      loopDelayP99: number;
      cpuSeconds: number;
    };
