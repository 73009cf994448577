/**
 * `policylab datasets …`: preference datasets in the data folder (core/store/datasets.ts).
 *   list [--json]                                   size, label balance, sources, oracle β and Bayes accuracy
 *   show <id> [--rows N] [--json]                   a dataset's summary and first rows
 *   create <name> [--task sentiment|arithmetic]
 *   import <file.jsonl> (--into <id> | --name <name>)   TRL formats or PolicyLab rows; all or nothing, errors by line
 *   export <id> --format <f> --out <file>           trl-standard, trl-implicit, trl-conversational(-implicit), trl-unpaired, policylab
 *   generate <id> --task <t> [--model generator|<lm folder>] [--count N] [--offset N] [--seed S] [--temperature T] …
 *   label <id> --oracle <task> --beta <β> [--seed S]   synthetic Bradley–Terry labels for every pending pair
 *   delete <id>                                     (the file is kept aside in datasets/.deleted/)
 */
import { readFile, writeFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { DatasetStore } from '../store/datasets.js';
import { EXPORT_FORMATS, exportRows, parseImport, type ExportFormat } from '../store/datasets-io.js';
import type { DatasetSummary } from '../store/datasets-schema.js';
import { resolveHome, RunStore } from '../store/index.js';
import { isTaskId, TASK_IDS, type TaskId } from '../tasks/index.js';
import { labelPendingWithOracle } from '../tasks/labeller.js';
import { readPromptSet } from '../tasks/resources.js';
import { UsageError } from './config-flags.js';
import { parseInteger } from './train.js';

interface HomeOpt {
  home?: string;
}

async function withDatasets<T>(opts: HomeOpt, fn: (ds: DatasetStore) => Promise<T>): Promise<T> {
  const runs = await RunStore.open(opts.home ?? resolveHome());
  try {
    return await fn(new DatasetStore(runs));
  } finally {
    await runs.close();
  }
}

function task(text: string | undefined, flag: string): TaskId {
  if (!isTaskId(text)) throw new UsageError(`${flag} must be one of ${TASK_IDS.join(', ')}, got ${JSON.stringify(text)}`);
  return text;
}

function number(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < min || v > max) throw new UsageError(`${flag} must be a number in [${min}, ${max}], got ${JSON.stringify(text)}`);
  return v;
}

/** One line per dataset: what the app's dataset list shows. */
export function describeDataset(d: DatasetSummary): string {
  const l = d.labels;
  const balance = `A ${l.a} · B ${l.b} · tie ${l.tie} · skip ${l.skip}`;
  const sources = Object.entries(d.sources).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(', ') || 'none';
  const oracle = d.oracle ? ` · oracle (synthetic) ${d.oracle.task} β=${d.oracle.beta}, best reachable accuracy ${(100 * d.oracle.bayesAccuracy).toFixed(1)}%` : '';
  return `${d.id}  "${d.name}"  ${d.size} rows (${balance}), ${d.pending} pending · sources: ${sources}${oracle}`;
}

export function registerDatasetsCommand(program: Command, userPath: (p: string) => string): void {
  const cmd = program.command('datasets').description('preference datasets: list, show, create, import, export, generate, label, delete');

  cmd
    .command('list')
    .description('list preference datasets with size, label balance, sources and (for oracle labels) the best reachable accuracy')
    .option('--json', 'print the summaries as JSON')
    .option('--home <dir>', 'data folder', userPath)
    .action(async (opts: HomeOpt & { json?: boolean }) => {
      await withDatasets(opts, async (ds) => {
        const list = ds.list();
        if (opts.json) console.log(JSON.stringify(list, null, 2));
        else if (list.length === 0) console.log('no datasets');
        else for (const d of list) console.log(describeDataset(d));
      });
    });

  cmd
    .command('show')
    .description("a dataset's summary and its first rows")
    .argument('<id>')
    .option('--rows <n>', 'rows to print', '10')
    .option('--json', 'print the summary and rows as JSON')
    .option('--home <dir>', 'data folder', userPath)
    .action(async (id: string, opts: HomeOpt & { rows: string; json?: boolean }) => {
      const n = parseInteger('--rows', opts.rows, 0);
      await withDatasets(opts, async (ds) => {
        const d = await ds.read(id);
        const summary = ds.list().find((s) => s.id === id);
        if (opts.json) {
          console.log(JSON.stringify({ summary, rows: d.rows.slice(0, n) }, null, 2));
          return;
        }
        if (summary) console.log(describeDataset(summary));
        for (const r of d.rows.slice(0, n)) {
          console.log(`${r.id} [${r.label}${r.source === 'oracle' ? ', synthetic' : ''}] ${JSON.stringify(r.prompt)}\n  A: ${JSON.stringify(r.responseA)}\n  B: ${JSON.stringify(r.responseB)}`);
        }
      });
    });

  cmd
    .command('create')
    .description('create an empty dataset')
    .argument('<name>')
    .option('--task <task>', `the shipped task its prompts come from (${TASK_IDS.join(', ')})`)
    .option('--home <dir>', 'data folder', userPath)
    .action(async (name: string, opts: HomeOpt & { task?: string }) => {
      const t = opts.task === undefined ? null : task(opts.task, '--task');
      await withDatasets(opts, async (ds) => console.log(describeDataset(await ds.create({ name, task: t }))));
    });

  cmd
    .command('import')
    .description('import a JSONL file in a TRL preference format (or PolicyLab rows); every line is checked first, and any error stores nothing')
    .argument('<file>', 'the JSONL file (relative to the folder the command was typed in)', userPath)
    .option('--into <id>', 'an existing dataset to add the rows to')
    .option('--name <name>', 'create a new dataset with this name (only once the file is valid)')
    .option('--home <dir>', 'data folder', userPath)
    .action(async (file: string, opts: HomeOpt & { into?: string; name?: string }) => {
      if (Boolean(opts.into) === Boolean(opts.name)) throw new UsageError('give exactly one of --into <id> or --name <name>');
      const text = await readFile(file, 'utf8');
      await withDatasets(opts, async (ds) => {
        let existingIds: Set<string> = new Set();
        if (opts.into) {
          const d = await ds.read(opts.into);
          existingIds = new Set([...d.rows.map((r) => r.id), ...d.pending.map((p) => p.id), ...d.deleted.map((x) => x.row.id)]);
        }
        const bar = new cliProgress.SingleBar(
          { format: 'validating {bar} {percentage}% | {value}/{total} lines', stream: process.stderr, noTTYOutput: false, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        let started = false;
        let parsed: ReturnType<typeof parseImport>;
        try {
          parsed = parseImport(text, {
            existingIds,
            onProgress: (done, total) => {
              if (!started) bar.start(total, 0);
              started = true;
              bar.update(done);
            },
          });
        } finally {
          if (started) bar.stop();
        }
        const id = opts.into ?? (await ds.create({ name: opts.name! })).id;
        const size = await ds.addRows(id, parsed.rows);
        console.log(`imported ${parsed.rows.length} rows (${parsed.format}) into ${id}; it now has ${size} rows`);
      });
    });

  cmd
    .command('export')
    .description('write a dataset as JSONL (TRL formats leave out ties and skips, and say how many)')
    .argument('<id>')
    .requiredOption('--format <format>', EXPORT_FORMATS.join(', '))
    .requiredOption('--out <file>', 'file to write (relative to the folder the command was typed in)', userPath)
    .option('--home <dir>', 'data folder', userPath)
    .action(async (id: string, opts: HomeOpt & { format: string; out: string }) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(opts.format)}`);
      await withDatasets(opts, async (ds) => {
        const out = exportRows((await ds.read(id)).rows, opts.format as ExportFormat);
        await writeFile(opts.out, out.text);
        await ds.markExported(id);
        console.log(`wrote ${out.lines} lines to ${opts.out}${out.skipped ? ` (${out.skipped} ties/skips have no room in ${opts.format} and were left out)` : ''}`);
      });
    });

  cmd
    .command('generate')
    .description('sample two responses per prompt of a task prompt set and queue the pairs for labelling')
    .argument('<id>')
    .requiredOption('--task <task>', TASK_IDS.join(', '))
    .option('--model <model>', '"generator" (the task\'s own generator) or the folder of an LM saved with core/lm saveLm', 'generator')
    .option('--count <n>', 'prompts', '50')
    .option('--offset <n>', 'first prompt of the set', '0')
    .option('--seed <n>', 'sampling seed', '0')
    .option('--temperature <t>', 'softmax temperature', '1')
    .option('--top-k <k>', 'keep the k most likely tokens (0: all)', '0')
    .option('--top-p <p>', 'nucleus sampling mass', '1')
    .option('--max-new-tokens <n>', 'longest response in tokens', '48')
    .option('--home <dir>', 'data folder', userPath)
    .action(async (id: string, opts: HomeOpt & Record<string, string>) => {
      const t = task(opts.task, '--task');
      const offset = parseInteger('--offset', opts.offset!, 0);
      const prompts = readPromptSet(t).slice(offset, offset + parseInteger('--count', opts.count!, 1));
      if (prompts.length === 0) throw new UsageError(`--offset ${offset} is past the end of the ${t} prompt set`);
      const seed = parseInteger('--seed', opts.seed!, 0, 2 ** 31 - 1);
      const model = opts.model!;
      await withDatasets(opts, async (ds) => {
        await ds.read(id);
        // Loaded here only: the LM engine's kernels are not needed by the other commands.
        const { samplePairs } = await import('../tasks/sample-pairs.js');
        const pairs = await samplePairs({
          source: model === 'generator' ? { kind: 'generator' } : { kind: 'lm', dirs: [userPath(model)], runId: null, step: null },
          task: t,
          prompts,
          sampling: {
            temperature: number('--temperature', opts.temperature, 1, 0, 10),
            topK: parseInteger('--top-k', opts.topK!, 0),
            topP: number('--top-p', opts.topP, 1, 1e-9, 1),
            maxNewTokens: parseInteger('--max-new-tokens', opts.maxNewTokens!, 1, 4096),
          },
          seed,
          idPrefix: `s${seed}-`,
        });
        const pending = await ds.addPending(id, pairs);
        console.log(`queued ${pairs.length} pairs in ${id} (${pending} pending)`);
      });
    });

  cmd
    .command('label')
    .description('label every pending pair with a task oracle (synthetic Bradley–Terry labels, P(A≻B) = σ(β(r*(A) − r*(B))))')
    .argument('<id>')
    .requiredOption('--oracle <task>', TASK_IDS.join(', '))
    .requiredOption('--beta <beta>', 'inverse temperature of the label noise (> 0)')
    .option('--seed <n>', 'label seed', '0')
    .option('--home <dir>', 'data folder', userPath)
    .action(async (id: string, opts: HomeOpt & { oracle: string; beta: string; seed: string }) => {
      const beta = number('--beta', opts.beta, 1, 1e-9, 1e6);
      await withDatasets(opts, async (ds) => {
        const info = await labelPendingWithOracle(ds, id, { task: task(opts.oracle, '--oracle'), beta, seed: parseInteger('--seed', opts.seed, 0) });
        console.log(`labelled with the ${info.task} oracle (synthetic, β=${info.beta}): ${info.pairs} oracle rows; best reachable reward-model accuracy ${(100 * info.bayesAccuracy).toFixed(1)}%`);
      });
    });

  cmd
    .command('delete')
    .description('remove a dataset (its file is kept aside in datasets/.deleted/)')
    .argument('<id>')
    .option('--home <dir>', 'data folder', userPath)
    .action(async (id: string, opts: HomeOpt) => {
      await withDatasets(opts, async (ds) => console.log(`removed ${id}; its file is kept at ${await ds.remove(id)}`));
    });
}
