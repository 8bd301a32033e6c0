export * from './sequence.js';
export * from './header.js';
export * from './extensions.js';
export * from './rtcp.js';
export * from './rtx.js';
export * from './keyframe.js';
export * from './rewrite.js';
