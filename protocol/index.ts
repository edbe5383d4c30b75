export * from './common.js';
export * from './matcher.js';
export * from './policy.js';
export * from './enrollment.js';
export * from './report.js';
export * from './api.js';
export * from './signing.js';
export * from './ladder.js';
