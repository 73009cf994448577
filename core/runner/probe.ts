/**
 * Which compute backend training will use on this machine, asked of a short-lived training process
 * (the UI/server process never loads tfjs, and a worker is exactly where training runs). It runs at
 * background priority; `signal` kills it (the app closing before it answered).
 */
import type { BackendInfo } from '../api/contract.js';
import { isWorkerMessage } from './protocol.js';
import type { SpawnWorker } from './spawn.js';

export function probeBackend(
  spawn: SpawnWorker,
  workerPath: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<BackendInfo> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new Error('backend probe cancelled: the app is closing'));
    const proc = spawn(workerPath, process.env, { priority: 'background' });
    const stderr: string[] = [];
    let settled = false;
    const onAbort = () => {
      proc.kill();
      settle(() => reject(new Error('backend probe cancelled: the app is closing')));
    };
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      proc.kill();
      settle(() => reject(new Error(`backend probe did not answer within ${timeoutMs / 1000} s`)));
    }, timeoutMs);
    proc.onOutput((stream, line) => {
      if (stream === 'stderr') stderr.push(line);
    });
    proc.onMessage((msg) => {
      if (!isWorkerMessage(msg)) return;
      if (msg.type === 'ready') proc.send({ type: 'probe' });
      else if (msg.type === 'started') settle(() => resolve(msg.backend));
      else if (msg.type === 'failed') settle(() => reject(new Error(msg.message)));
    });
    proc.onExit((code) =>
      settle(() => reject(new Error(`backend probe exited with code ${code}${stderr.length ? `: ${stderr.at(-1)}` : ''}`))),
    );
  });
}
