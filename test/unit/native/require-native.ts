import { loadNative, type NativeAddon } from '../../../src/native/index.js';

/**
 * The native addon, which the test suite requires: scripts/test.sh builds it (and fails when it
 * cannot), so a missing addon fails the tests that use it instead of silently testing less.
 */
export function requireNative(): NativeAddon {
  const { addon, reason } = loadNative();
  if (addon === undefined) throw new Error(`native addon not built (run node scripts/build-native.mjs): ${reason}`);
  return addon;
}
