/** Pure analysis helpers for the compare view (no DOM, no Chart.js): safe to unit-test in Node. */
export * from './smoothing.js';
export * from './x-axis.js';
export * from './downsample.js';
export * from './grouping.js';
export * from './config-diff.js';
export * from './colours.js';
export * from './csv.js';
export * from './summary.js';
