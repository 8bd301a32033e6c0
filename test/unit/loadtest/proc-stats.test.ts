import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { sampleProcessTree } from '../../../src/loadtest/proc-stats.js';

/**
 * A child process (its threads do not come and go, unlike the test runner's) whose worker thread
 * sleeps 50 times once told to: each sleep is a wait, a voluntary switch of that thread. The worker
 * then stays alive: an ended thread's switches leave the sum.
 */
const CHILD = `
const { Worker } = require('node:worker_threads');
const worker = new Worker("require('node:worker_threads').parentPort.once('message', async (m) => { for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 2)); m.postMessage('done'); setInterval(() => {}, 1000); })", { eval: true });
worker.once('online', () => console.log('ready'));
process.stdin.once('data', () => {
  const { port1, port2 } = new MessageChannel();
  port1.once('message', () => { console.log('done'); port1.close(); });
  worker.postMessage(port2, [port2]);
});
`;

describe('sampleProcessTree', () => {
  it("counts the context switches of every thread of the process, not only the main thread's", async () => {
    const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      expect((await lines.next()).value).toBe('ready');
      const before = sampleProcessTree(child.pid!);
      child.stdin!.write('go\n');
      expect((await lines.next()).value).toBe('done');
      const after = sampleProcessTree(child.pid!);
      // the worker's 50 sleeps; /proc/<pid>/status alone (the main thread) would see a handful
      expect(after.voluntarySwitches - before.voluntarySwitches).toBeGreaterThanOrEqual(50);
      expect(after.involuntarySwitches).toBeGreaterThanOrEqual(before.involuntarySwitches);
      expect(after.processes).toBe(1);
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });

  it('throws for a process that does not exist', () => {
    expect(() => sampleProcessTree(2 ** 22 + 12345)).toThrow();
  });
});
