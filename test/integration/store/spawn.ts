/** Runs a TypeScript fixture in a real child process (`node --import tsx`), with IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child {
  proc: ChildProcess;
  messages: { type: string; step?: number; wallTime?: number; updates?: number }[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a message satisfies `pred` (rejects if the child exits first). */
  waitFor(pred: (m: Child['messages'][number]) => boolean): Promise<void>;
  stderr(): string;
}

export function spawnFixture(name: string, args: string[]): Child {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const proc = fork(script, args, {
    execPath: process.execPath,
    execArgv: ['--import', 'tsx'],
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const messages: Child['messages'] = [];
  const waiters: { pred: (m: Child['messages'][number]) => boolean; resolve: () => void }[] = [];
  proc.on('message', (m: Child['messages'][number]) => {
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    messages,
    exited,
    stderr: () => err,
    waitFor(pred) {
      if (messages.some(pred)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ pred, resolve });
        void exited.then(({ code, signal }) => reject(new Error(`${name} exited (code ${code}, signal ${signal}) first:\n${err}`)));
      });
    },
  };
}
