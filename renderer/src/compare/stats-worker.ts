/// <reference lib="webworker" />
/**
 * Web Worker for the compare view's statistics: stratified bootstrap CIs, performance profiles and probabilities
 * of improvement (core/stats) are thousands of resamples, computed here so the page never blocks.
 */
import { groupStatistics } from '../../../core/stats/compare.js';
import type { StatsReply, StatsRequest } from './stats-messages.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (e: MessageEvent<StatsRequest>) => {
  const { id, groups, options } = e.data;
  const t0 = performance.now();
  let reply: StatsReply;
  try {
    reply = { id, ok: true, result: groupStatistics(groups, options), ms: performance.now() - t0 };
  } catch (err) {
    reply = { id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  scope.postMessage(reply);
};
