/**
 * How the RunManager starts a training process. In Node (CLI, browser mode, tests) a `child_process.fork`;
 * in Electron, electron/utility-worker.ts supplies a `utilityProcess` with the same interface.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ParentMessage } from './protocol.js';

export interface WorkerProcess {
  readonly pid: number | undefined;
  send(message: ParentMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Text written by the process to stdout/stderr, split into lines. */
  onOutput(listener: (stream: 'stdout' | 'stderr', line: string) => void): void;
  /** Fires once, when the process has exited. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export interface SpawnOptions {
  /**
   * 'background' (training runs, the backend probe): the process runs at a lower CPU priority, so on a
   * machine with few cores the window and the host serving it stay responsive while runs train. It costs
   * a lone run nothing: priority only matters when something else wants the CPU.
   */
  priority?: 'background' | 'normal';
}

export type SpawnWorker = (modulePath: string, env: NodeJS.ProcessEnv, options?: SpawnOptions) => WorkerProcess;

/** Niceness of background workers (0 = as the app, 19 = lowest); POLICYLAB_WORKER_NICE overrides. */
export const BACKGROUND_NICE = 10;

/** The niceness for background workers from the environment, or a clear error. */
export function backgroundNice(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.POLICYLAB_WORKER_NICE;
  if (raw === undefined || raw === '') return BACKGROUND_NICE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19) {
    throw new Error(`POLICYLAB_WORKER_NICE must be an integer from 0 to 19, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/**
 * Lowers a started worker's CPU priority as `options` asks. Best effort: where the OS refuses, the worker
 * runs at normal priority and `warn` gets a line saying why (for the worker's stderr). The niceness comes from
 * the worker's `env`.
 */
export function applyPriority(
  pid: number | undefined,
  env: NodeJS.ProcessEnv,
  options: SpawnOptions | undefined,
  warn: (line: string) => void,
): void {
  if (options?.priority !== 'background' || pid === undefined) return;
  try {
    const nice = backgroundNice(env);
    if (nice > 0) setPriority(pid, nice);
  } catch (err) {
    warn(`policylab: could not lower the worker's priority: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The training-process entry next to this file: worker.ts when running from sources under tsx,
 * worker.js when running compiled code.
 */
export function defaultWorkerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'worker.js');
  return existsSync(js) ? js : join(here, 'worker.ts');
}

/** Splits a stream's chunks into lines (a trailing partial line waits for the next chunk). */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk.toString();
      const lines = rest.split(/\r?\n/);
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.length > 0) onLine(line);
    },
    end() {
      if (rest.length > 0) onLine(rest);
      rest = '';
    },
  };
}

function tsxLoaderUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

/** `child_process.fork`; a `.ts` entry is run through tsx's loader (resolved from here, not from the cwd). */
export const forkWorker: SpawnWorker = (modulePath, env, options) => {
  const execArgv = modulePath.endsWith('.ts') ? ['--import', tsxLoaderUrl()] : [];
  const child = fork(modulePath, [], {
    execArgv,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const outputListeners: ((stream: 'stdout' | 'stderr', line: string) => void)[] = [];
  const out = lineSplitter((line) => outputListeners.forEach((l) => l('stdout', line)));
  const err = lineSplitter((line) => outputListeners.forEach((l) => l('stderr', line)));
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  // Deferred: the caller subscribes to the output after this returns.
  applyPriority(child.pid, env, options, (line) => queueMicrotask(() => err.push(`${line}\n`)));
  // A send to a process that just died raises EPIPE/ERR_IPC_CHANNEL_CLOSED; the exit handler reports the crash.
  child.on('error', () => {});
  let exited: { code: number | null; signal: string | null } | null = null;
  const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  // 'close' (not 'exit') so stdout/stderr are fully read before the run is finalised.
  child.on('close', (code, signal) => {
    out.end();
    err.end();
    exited = { code, signal };
    for (const l of exitListeners) l(code, signal);
  });
  return {
    pid: child.pid,
    send(message) {
      if (child.connected) child.send(message);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onOutput(listener) {
      outputListeners.push(listener);
    },
    onExit(listener) {
      if (exited) listener(exited.code, exited.signal);
      else exitListeners.push(listener);
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
  };
};
