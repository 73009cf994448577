/** The statistics worker's messages (typed both ways; the worker and its client import only these). */
import type { GroupScores, GroupStatsOptions, GroupStatsResult } from '../../../core/stats/compare.js';

export interface StatsRequest {
  id: number;
  groups: GroupScores[];
  options: GroupStatsOptions;
}

export type StatsReply = { id: number; ok: true; result: GroupStatsResult; ms: number } | { id: number; ok: false; error: string };
