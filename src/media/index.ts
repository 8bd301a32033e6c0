/** The SFU media plane: rtp/ (wire formats), forwarding/ (pure decisions + apply), engine/ (werift boundary). */
export * as rtp from './rtp/index.js';
export * as forwarding from './forwarding/index.js';
export * as engine from './engine/index.js';
