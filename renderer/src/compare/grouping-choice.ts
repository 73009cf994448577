/** The grouping the user picked in the compare view, and the groups it yields. */
import { groupRuns, type RunGroup } from '../analysis/grouping.js';
import type { ConfigSource } from '../analysis/config-diff.js';

export type GroupingChoice =
  | { mode: 'none' }
  /** One flattened config key (`algo`, `env`, `optimizer.lr`). */
  | { mode: 'key'; key: string }
  /** Everything except these keys: `['seed']` makes "same config, different seeds" one group. */
  | { mode: 'allExcept'; keys: string[] };

export const NO_GROUPING: GroupingChoice = { mode: 'none' };
export const GROUP_SEEDS: GroupingChoice = { mode: 'allExcept', keys: ['seed'] };

/** Groups for the chart, or null when not grouping. */
export function groupsFor(runs: readonly ConfigSource[], choice: GroupingChoice): RunGroup[] | null {
  switch (choice.mode) {
    case 'none':
      return null;
    case 'key':
      return groupRuns(runs, { keys: [choice.key] });
    case 'allExcept':
      return groupRuns(runs, { allExcept: choice.keys });
  }
}

/**
 * The record grouping sees for a run: its config plus the run-level fields people group by. The app
 * passes `{ id, config: groupingConfig(run) }` for each selected run.
 */
export function groupingConfig(run: { algo?: string; env?: string; seed?: number; config: Record<string, unknown> }): Record<string, unknown> {
  return { ...run.config, algo: run.algo, env: run.env, seed: run.seed ?? run.config.seed };
}
