import type { Timers } from './room-service.js';

/** Real timers that never keep the process alive on their own (the RoomService's production clock). */
export const unrefTimers: Timers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};
