/** Shapes the compare components take as props (the app maps its RunInfo / metrics onto them). */
import type { MetricStat } from '../analysis/summary.js';

export type { CompareSeries } from './chart-model.js';

/** A run row in the compare table. `config` is the run's stored config (nested objects allowed). */
export interface TableRun {
  id: string;
  name: string;
  algo?: string;
  env?: string;
  seed?: number;
  status?: string;
  config: Record<string, unknown>;
}

/** A metric column of the compare table: one statistic of one key. */
export interface MetricColumn {
  key: string;
  stat: MetricStat;
}
