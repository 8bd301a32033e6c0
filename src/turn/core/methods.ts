/** Method names of the request table, and lifetime clamping (RFC 8656 §7.2). */
import { Method } from '../stun/constants.js';
import { Lifetime } from './types.js';

export type RequestMethod = 'Binding' | 'Allocate' | 'Refresh' | 'CreatePermission' | 'ChannelBind' | 'Connect' | 'ConnectionBind';

export function clampLifetime(requested: number | undefined): number {
  if (requested === undefined) return Lifetime.allocationDefault;
  return Math.min(Math.max(requested, Lifetime.allocationDefault), Lifetime.allocationMax);
}

export function methodName(m: number): RequestMethod | undefined {
  switch (m) {
    case Method.Binding: return 'Binding';
    case Method.Allocate: return 'Allocate';
    case Method.Refresh: return 'Refresh';
    case Method.CreatePermission: return 'CreatePermission';
    case Method.ChannelBind: return 'ChannelBind';
    case Method.Connect: return 'Connect';
    case Method.ConnectionBind: return 'ConnectionBind';
    default: return undefined;
  }
}
