/**
 * Reads V8 CPU profiles (node --cpu-prof) and says where the time went: self time by area
 * (a Parley source file, an npm package, Node internals, GC) and self/total time by function.
 *
 *   npx tsx bench/signaling/profile-summary.ts <dir-or-file.cpuprofile>
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixed, table } from './stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Groups a script URL: "parley src/signaling/server.ts", "npm ws", "node internals". */
function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : 'native / V8 builtins';
  if (url.includes('/node_modules/.cache/parley-bench/')) return `bench ${url.split('/').pop()}`;
  // The innermost package: engine.io's own copy of ws counts as ws.
  const npm = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (npm) return `npm ${npm[1]}`;
  const dist = /\/dist\/(.+)\.js$/.exec(url);
  if (dist) return `parley src/${dist[1]}.ts`;
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^file:\/\//, '');
}

function load(path: string): CpuProfile[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(path, f))
    : [path];
  return files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
}

export function summarizeProfiles(path: string, top = 20): string {
  const selfByArea = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const totalByFn = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const prof of load(path)) {
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const fnKey = (n: ProfileNode) => {
      const a = areaOf(n.callFrame.url, n.callFrame.functionName);
      return `${n.callFrame.functionName || '(anonymous)'} ${a.replace(/^parley |^npm |^bench /, '')}:${n.callFrame.lineNumber + 1}`;
    };
    prof.samples.forEach((id, i) => {
      const dt = (prof.timeDeltas[i] ?? 0) / 1000;
      const node = byId.get(id);
      if (!node) return;
      if (node.callFrame.functionName === '(idle)') {
        idle += dt;
        return;
      }
      total += dt;
      const area = areaOf(node.callFrame.url, node.callFrame.functionName);
      selfByArea.set(area, (selfByArea.get(area) ?? 0) + dt);
      const key = fnKey(node);
      selfByFn.set(key, (selfByFn.get(key) ?? 0) + dt);
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const n = byId.get(cur)!;
        if (n.callFrame.functionName === '(root)') break;
        const k = fnKey(n);
        if (seen.has(k)) continue;
        seen.add(k);
        totalByFn.set(k, (totalByFn.get(k) ?? 0) + dt);
      }
    });
  }
  const pct = (ms: number) => `${fixed((100 * ms) / total, 1)}%`;
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => [k, fixed(ms, 0), pct(ms)]);
  return [
    `busy ${fixed(total, 0)} ms sampled (idle ${fixed(idle, 0)} ms not counted)`,
    '',
    table(['self time by area', 'ms', 'share'], rows(selfByArea)),
    '',
    table(['self time by function', 'ms', 'share'], rows(selfByFn)),
    '',
    table(['total (inclusive) time by function', 'ms', 'share'], rows(totalByFn)),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.argv[2];
  if (!target) {
    process.stderr.write('usage: profile-summary.ts <dir-or-file.cpuprofile>\n');
    process.exit(2);
  }
  process.stdout.write(`${summarizeProfiles(target)}\n`);
}
