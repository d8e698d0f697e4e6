export * from './topics.js';
export * from './rejections.js';
export * from './readings-payload.js';
