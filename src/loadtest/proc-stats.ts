/**
 * CPU time and memory of a server process and its descendants (media worker processes, if any),
 * read from /proc (Linux). Threads are included: /proc/<pid>/stat sums every thread of a process.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcSample {
  /** Wall clock (ms, monotonic). */
  at: number;
  /** User + system CPU seconds of the process tree so far. */
  cpuSeconds: number;
  /** Resident memory of the process tree, bytes (VmRSS). */
  rssBytes: number;
  /** Processes found in the tree. */
  processes: number;
  /**
   * Context switches so far, summed over the threads of the tree alive now (a thread that ended
   * takes its count with it): waits (blocking, sleeping).
   */
  voluntarySwitches: number;
  /** ... and preemptions (the thread was runnable but the scheduler put another one on its core). */
  involuntarySwitches: number;
}

/** Clock ticks per second of /proc/<pid>/stat; 100 on every Linux this runs on (USER_HZ). */
const TICKS_PER_SECOND = 100;

function readCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) may hold spaces and parentheses: fields restart after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15
  return Number(fields[11]) + Number(fields[12]);
}

function readRssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Adds each live thread's context switch counts (/proc/<pid>/status counts only the main thread's). */
function addSwitches(pid: number, sample: ProcSample): void {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tasks) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      continue; // the thread ended between readdir and read
    }
    sample.voluntarySwitches += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    sample.involuntarySwitches += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

/** Samples the process `pid` and all its descendants; throws when `pid` does not exist. */
export function sampleProcessTree(pid: number, now = performance.now()): ProcSample {
  const sample: ProcSample = { at: now, cpuSeconds: 0, rssBytes: 0, processes: 0, voluntarySwitches: 0, involuntarySwitches: 0 };
  const queue = [pid];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    try {
      sample.cpuSeconds += readCpuTicks(p) / TICKS_PER_SECOND;
      sample.rssBytes += readRssBytes(p);
      sample.processes++;
      addSwitches(p, sample);
    } catch (err) {
      if (p === pid) throw err;
      continue; // a child that exited meanwhile
    }
    queue.push(...childrenOf(p));
  }
  return sample;
}

/** CPU used between two samples, as a fraction of one core (1 = one core busy). */
export function cpuLoad(a: ProcSample, b: ProcSample): number {
  const wall = (b.at - a.at) / 1000;
  return wall > 0 ? (b.cpuSeconds - a.cpuSeconds) / wall : 0;
}

/** CPU seconds the whole machine spent busy (all cores; /proc/stat, not idle nor iowait). */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - (cpu[3] ?? 0) - (cpu[4] ?? 0)) / TICKS_PER_SECOND;
}
