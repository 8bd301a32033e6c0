/**
 * Zod building blocks shared by the config sections. Values from environment variables and CLI
 * flags arrive as strings, so every scalar here accepts its string form too.
 */
import { z } from 'zod';

export const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const bool = (fallback: boolean) =>
  z
    .union([
      z.boolean(),
      z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).transform((v) => ['true', '1', 'yes', 'on'].includes(v)),
    ])
    .default(fallback);

/** A duration: a number of seconds, or a string such as "15s", "10m", "6h", "1d". Parsed to seconds. */
export const durationSeconds = (fallback: number) =>
  z
    .union([z.number().nonnegative(), z.string()])
    .transform((v, ctx) => {
      const s = typeof v === 'number' ? v : parseDuration(v);
      if (s === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a duration (use e.g. 30, "15s", "10m", "6h")` });
        return z.NEVER;
      }
      return s;
    })
    .default(fallback);

export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[unit] ?? 1;
  return n * factor;
}

/** Comma-separated list (from env) or an array (from YAML). */
export const list = () =>
  z
    .union([z.array(z.string()), z.string()])
    .transform((v) => (Array.isArray(v) ? v : v.split(',').map((s) => s.trim()).filter(Boolean)))
    .default([]);

export const optionalString = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v));
