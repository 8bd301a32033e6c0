/** The load-generator processes (client-worker.ts) and the orchestrator's side of their IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import type { FromWorker, ToWorker } from './ipc.js';

export class Workers {
  private readonly procs: ChildProcess[];
  private readonly inbox = new Map<ChildProcess, FromWorker[]>();
  private readonly waiters = new Set<() => void>();

  constructor(script: string, count: number) {
    this.procs = Array.from({ length: count }, () => fork(script, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    for (const p of this.procs) {
      this.inbox.set(p, []);
      p.on('message', (m: FromWorker) => {
        this.inbox.get(p)!.push(m);
        for (const w of this.waiters) w();
      });
    }
  }

  get size(): number {
    return this.procs.length;
  }

  get pids(): number[] {
    return this.procs.map((p) => p.pid!);
  }

  send(i: number, msg: ToWorker): void {
    this.procs[i]!.send(msg);
  }

  broadcast(msg: ToWorker): void {
    for (const p of this.procs) p.send(msg);
  }

  /** Waits until every worker has sent a message of `type`, and returns those messages. */
  async all<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>[]> {
    const take = () => this.procs.map((p) => this.inbox.get(p)!.find((m) => m.type === type));
    for (;;) {
      const got = take();
      if (got.every((m) => m !== undefined)) {
        for (const p of this.procs) this.inbox.set(p, this.inbox.get(p)!.filter((m) => m.type !== type));
        return got as Extract<FromWorker, { type: T }>[];
      }
      const dead = this.procs.find((p) => p.exitCode !== null);
      if (dead) throw new Error(`load generator exited with code ${dead.exitCode}`);
      await new Promise<void>((r) => {
        const w = () => {
          this.waiters.delete(w);
          r();
        };
        this.waiters.add(w);
        setTimeout(w, 500);
      });
    }
  }

  close(): void {
    for (const p of this.procs) if (p.connected) p.send({ type: 'close' } satisfies ToWorker);
  }
}
