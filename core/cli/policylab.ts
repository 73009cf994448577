/**
 * The PolicyLab command line:
 *   train   train one run in this process (progress bar, Ctrl-C stops cleanly, --resume continues)
 *   runs    list the runs in the data folder (POLICYLAB_HOME or the per-OS default)
 *   export  write runs' metrics as CSV or JSON
 *   import  other libraries' runs (TensorBoard event files, SB3 monitor.csv) as read-only external runs
 *   sweep   a grid or random search over a config × explicit seeds, from a JSON spec (core/sweep/spec.ts)
 *   algos   the algorithms, their config flags (defaults, descriptions) and per-env presets
 *   serve   browser mode: the app's UI and API on 127.0.0.1 with a per-launch token
 *   ddppo-worker  one worker (rank ≥ 1) of a DD-PPO run on the redis transport, on this machine (deploy/README.md)
 * Usage errors print one clear message and exit 2; training errors exit 1 (and mark the run failed).
 */
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ALGO_IDS, ALGOS, algoSpec } from '../algos/registry.js';
import { ENV_IDS } from '../envs/index.js';
import { describeConfigFlags } from './config-flags.js';
import { importCommand } from './import.js';
import { exportCommand, runsCommand } from './runs.js';
import { registerDatasetsCommand } from './datasets.js';
import { trainCommand, UsageError, type TrainCliOptions } from './train.js';

/**
 * A path the user typed, made absolute from where they typed it: npm runs scripts in the package folder and keeps
 * the caller's folder in INIT_CWD, so `npm run export -- --out runs.csv` writes where the user is.
 */
function userPath(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

function buildProgram(): Command {
  const program = new Command('policylab')
    .description('PolicyLab: policy-gradient reinforcement learning, from REINFORCE to PPO')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('train')
    .description('train one run (config fields are flags: --lr 3e-4 --clip-coef 0.2 …; see `policylab algos <algo>`)')
    .option('--algo <id>', `algorithm: ${ALGO_IDS.join(', ')}`)
    .option('--env <id>', `environment: ${ENV_IDS.join(', ')}`)
    .option('--seed <n>', 'random seed (default 1)')
    .option('--total-steps <n>', "environment steps to train for (default: the preset's)")
    .option('--preset <name>', "hyperparameter preset (default: the env's own, when there is one; 'none' for the plain defaults)")
    .option('--resume <runId>', 'continue a stopped run from its latest checkpoint')
    .option('--restart', 'with --resume: start a run with no intact checkpoint over from step 0 (earlier metrics kept aside)')
    .option('--name <name>', 'run name (default algo-env-sSEED)')
    .option('--tags <a,b>', 'comma-separated tags')
    .option('--notes <text>', 'free-form notes')
    .option('--home <dir>', 'data folder (default: POLICYLAB_HOME or the per-OS default)', userPath)
    .option('--no-progress', 'no progress bar (log lines instead)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (opts: TrainCliOptions, cmd: Command) => {
      process.exitCode = await trainCommand(opts, cmd.args);
    });

  program
    .command('runs')
    .description('list runs')
    .option('--json', 'print the run records as JSON')
    .option('--home <dir>', 'data folder', userPath)
    .action(async (opts: { json?: boolean; home?: string }) => {
      await runsCommand({ home: opts.home, json: Boolean(opts.json) });
    });

  program
    .command('export')
    .description("export runs' metrics")
    .argument('<ids...>', 'run ids')
    .requiredOption('--format <format>', 'csv or json')
    .requiredOption('--out <path>', 'file to write (relative to the folder the command was typed in)', userPath)
    .option('--home <dir>', 'data folder', userPath)
    .action(async (ids: string[], opts: { format: string; out: string; home?: string }) => {
      await exportCommand(ids, opts);
    });

  program
    .command('import')
    .description('import TensorBoard event files (CleanRL, SB3) or SB3 monitor.csv files as read-only external runs')
    .argument('<paths...>', 'event files, monitor.csv files, or folders searched for them (one run per folder of event files)')
    .option('--name <name>', 'run name (with several runs: the prefix of each name)')
    .option('--json', 'print the imported run records as JSON')
    .option('--home <dir>', 'data folder', userPath)
    .action(async (paths: string[], opts: { name?: string; json?: boolean; home?: string }) => {
      await importCommand(paths.map(userPath), opts);
    });

  // policylab datasets … (core/cli/datasets.ts)
  registerDatasetsCommand(program, userPath);

  program
    .command('sweep')
    .description('run a grid or random search over an algorithm config × seeds, described by a JSON spec (see README: Sweeps)')
    .argument('<spec.json>', 'the sweep spec (relative to the folder the command was typed in)', userPath)
    .option('--max-runs <n>', 'runs that train at once; more wait in the queue (default: POLICYLAB_MAX_RUNS, the app setting, or cores − 1, at most 4)')
    .option('--json', 'print the results as JSON')
    .option('--home <dir>', 'data folder', userPath)
    .action(async (spec: string, opts: { maxRuns?: string; json?: boolean; home?: string }) => {
      const { sweepCommand } = await import('./sweep.js');
      process.exitCode = await sweepCommand(spec, opts);
    });

  program
    .command('algos')
    .description('list algorithms, or show one algorithm\'s config flags and presets')
    .argument('[algo]', 'algorithm id')
    .action((algo?: string) => {
      if (!algo) {
        for (const id of ALGO_IDS) console.log(`${id.padEnd(10)} ${ALGOS[id].title}: ${ALGOS[id].description}`);
        return;
      }
      const spec = algoSpec(algo);
      console.log(`${spec.title}: ${spec.description}\n\nconfig flags:\n${describeConfigFlags(spec.configSchema)}\n\npresets:`);
      for (const [name, values] of Object.entries(spec.presets)) {
        console.log(`  ${name} (${(spec.presetTotalSteps[name] ?? spec.defaultTotalSteps).toLocaleString('en-US')} steps): ${JSON.stringify(values)}`);
      }
    });

  program
    .command('serve')
    .description('serve the app in a browser (127.0.0.1; port and token kept in the data folder, owner-only)')
    .option('--port <n>', 'port (default: the last one used on this data folder, else any free one)')
    .option('--token <token>', 'access token (default: the saved one, else random)')
    .option('--new-token', 'rotate the saved access token (open tabs must use the new URL)')
    .option('--max-runs <n>', 'runs that train at once; more wait in the queue (default: POLICYLAB_MAX_RUNS or cores − 1, at most 4)')
    .option('--home <dir>', 'data folder', userPath)
    .action(async (opts: { port?: string; token?: string; newToken?: boolean; home?: string; maxRuns?: string }) => {
      const { serveCommand } = await import('./serve.js');
      await serveCommand(opts);
    });

  program
    .command('ddppo-worker')
    .description('join a DD-PPO run on the redis transport as worker RANK (rank 0 is `train --algo ddppo --transport redis`; see deploy/README.md)')
    .option('--redis-url <url>', 'the run\'s Redis, redis://host:port (default: POLICYLAB_REDIS_URL)')
    .option('--run-key <id>', 'the run id that rank 0 printed (default: POLICYLAB_RUN_KEY)')
    .option('--rank <r>', 'this worker\'s rank, 1 … workers − 1 (default: RANK, else JOB_COMPLETION_INDEX + 1)')
    .option('--timeout-ms <ms>', 'longest wait for Redis or for the other ranks in an all-reduce (default 60000)')
    .option('--join-timeout-ms <ms>', 'longest wait for rank 0\'s spec and for ranks that have not joined yet (default 300000)')
    .action(async (opts: { redisUrl?: string; runKey?: string; rank?: string; timeoutMs?: string; joinTimeoutMs?: string }) => {
      const { ddppoWorkerCommand } = await import('./ddppo-worker.js');
      process.exitCode = await ddppoWorkerCommand(opts);
    });
  return program;
}

export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const usage = error instanceof UsageError || /^(unknown |--|config\b)/.test((error as Error).message ?? '');
    process.stderr.write(`error: ${(error as Error).message}\n`);
    if (!usage && process.env.POLICYLAB_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return usage ? 2 : 1;
  }
}

// Exit explicitly: tfjs-wasm and timers must not keep a finished command alive.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${String(error)}\n`);
    process.exit(1);
  },
);
