/**
 * Training processes in Electron: `utilityProcess.fork` (a Node child managed by Chromium's process model,
 * killed with the app) behind the RunManager's WorkerProcess interface.
 */
import { utilityProcess } from 'electron';
import type { ParentMessage } from '../core/runner/protocol.js';
import { applyPriority, lineSplitter, type SpawnWorker } from '../core/runner/spawn.js';

export const spawnUtilityWorker: SpawnWorker = (modulePath, env, options) => {
  const child = utilityProcess.fork(modulePath, [], { env, stdio: 'pipe', serviceName: 'PolicyLab training' });
  const outputListeners: ((stream: 'stdout' | 'stderr', line: string) => void)[] = [];
  const out = lineSplitter((line) => outputListeners.forEach((l) => l('stdout', line)));
  const err = lineSplitter((line) => outputListeners.forEach((l) => l('stderr', line)));
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  child.once('spawn', () =>
    applyPriority(child.pid, env, options, (line) => err.push(`${line}\n`)),
  );
  let exited: { code: number | null } | null = null;
  const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  child.on('exit', (code) => {
    out.end();
    err.end();
    exited = { code };
    for (const l of exitListeners) l(code, null);
  });
  return {
    get pid() {
      return child.pid;
    },
    send(message: ParentMessage) {
      if (!exited) child.postMessage(message);
    },
    onMessage(listener) {
      child.on('message', listener);
    },
    onOutput(listener) {
      outputListeners.push(listener);
    },
    onExit(listener) {
      if (exited) listener(exited.code, null);
      else exitListeners.push(listener);
    },
    kill() {
      if (!exited) child.kill();
    },
  };
};
