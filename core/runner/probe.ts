/**
 * Which compute backend training will use on this machine, asked of a short-lived training process
 * (the UI/server process never loads tfjs, and a worker is exactly where training runs).
 */
import type { BackendInfo } from '../api/contract.js';
import { isWorkerMessage } from './protocol.js';
import type { SpawnWorker } from './spawn.js';

export function probeBackend(spawn: SpawnWorker, workerPath: string, timeoutMs = 60_000): Promise<BackendInfo> {
  return new Promise((resolve, reject) => {
    const proc = spawn(workerPath, process.env, { priority: 'background' });
    const stderr: string[] = [];
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
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
