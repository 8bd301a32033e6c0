export * from './transport.js';
export * from './events.js';
export * from './werift-config.js';
export * from './werift-extensions.js';
export * from './werift-transport.js';
