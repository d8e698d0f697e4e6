export * from './metrics.js';
export * from './people.js';
export * from './alerts.js';
export * from './news2.js';
export * from './oximetry.js';
export * from './nights.js';
export * from './therapy-days.js';
export * from './rule-catalogue.js';
