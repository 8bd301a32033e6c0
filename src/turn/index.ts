/** Embedded STUN/TURN server: public surface for the composition root (src/server.ts). */
export { createTurnService, type TurnService, type TurnServiceOptions } from './service.js';
export { iceServersFor, type IceServers, type IceServersArgs } from './ice-servers.js';
