/**
 * The SFU load tester (`parley loadtest`, bench/sfu/loadtest.ts): headless publishers and
 * subscribers against a Parley server (or any SfuTarget), live progress, and a report.
 * Needs the devDependencies @roamhq/wrtc and node-datachannel: import it lazily.
 */
export { runLoadtest } from './run.js';
export type { LoadtestOptions, LoadtestProgress, LoadtestPhase, VideoOptions } from './options.js';
export { DEFAULT_VIDEO } from './options.js';
export { parleyTarget, type ParleyAuth, type ParleyTargetOptions } from './parley-target.js';
export type { SfuTarget, TargetSession, PublisherPeer, SubscriberPeer, Candidate } from './target.js';
export { formatProgress, formatReport, type LoadtestReport, type SubscriberResult, type ServerResult } from './report.js';
export { sampleProcessTree, cpuLoad, type ProcSample } from './proc-stats.js';
export { loadNdc } from './ndc-subscriber.js';
