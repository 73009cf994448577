/**
 * `policylab import <path...> [--name <name>]`: TensorBoard event files (CleanRL, SB3, …) and SB3 monitor.csv files
 * into the data folder as read-only external runs (core/import). All or nothing: a malformed file is named with
 * its record or line number and nothing is imported.
 */
import { importPaths } from '../import/index.js';
import { resolveHome, RunStore } from '../store/index.js';
import { UsageError } from './config-flags.js';

export interface ImportCliOptions {
  name?: string;
  home?: string;
  json?: boolean;
}

export async function importCommand(paths: readonly string[], opts: ImportCliOptions): Promise<void> {
  if (paths.length === 0) throw new UsageError('name at least one event file, monitor.csv or folder to import');
  const store = await RunStore.open(opts.home ?? resolveHome());
  try {
    const { runs, parsed } = await importPaths(store, paths, { name: opts.name });
    if (opts.json) {
      console.log(JSON.stringify(runs, null, 2));
      return;
    }
    runs.forEach((r, i) => {
      const p = parsed[i]!;
      const keys = Object.keys(r.summary).length;
      const skipped = p.skipped > 0 ? `, ${p.skipped} non-scalar values skipped` : '';
      console.log(`imported ${r.id} "${r.name}" (${p.library}, ${r.env}): ${p.records.length} records, ${keys} metric keys, last step ${r.step.toLocaleString('en-US')}${skipped}`);
    });
  } finally {
    await store.close();
  }
}
