/** The compatibility dialects by name: one starter each, exhaustive over the config's dialect names. */
import type { DialectName } from '../config/dialects.js';
import { startInclubitDialect } from './inclubit/index.js';
import { startJsongleDialect } from './jsongle/index.js';
import type { DialectDeps, RunningDialect } from './types.js';
import { startWorkspacesDialect } from './workspaces/index.js';

export type { DialectDeps, RunningDialect } from './types.js';

export const DIALECT_STARTERS = {
  jsongle: startJsongleDialect,
  workspaces: startWorkspacesDialect,
  inclubit: startInclubitDialect,
} satisfies Record<DialectName, (deps: DialectDeps) => Promise<RunningDialect>>;

/** Starts the enabled dialects in order; if one fails, the ones already started are closed. */
export async function startDialects(names: readonly DialectName[], deps: DialectDeps): Promise<RunningDialect[]> {
  const running: RunningDialect[] = [];
  try {
    for (const name of new Set(names)) running.push(await DIALECT_STARTERS[name](deps));
  } catch (err) {
    await Promise.allSettled(running.map((d) => d.close()));
    throw err;
  }
  return running;
}
