/**
 * Messages between the RunManager (parent) and a training process (worker.ts), one run per process.
 * The same messages travel over Node's fork IPC channel or Electron's utilityProcess port.
 *
 *   parent → worker: start (once), stop (graceful: the loop saves a checkpoint and returns), or probe (backend only)
 *   worker → parent: ready, started, progress, metrics (batched), log, checkpoint, episode, then done | failed
 *
 * A live-rollout process (rollout-worker.ts) speaks the same envelope:
 *   parent → worker: rollout (once), stop
 *   worker → parent: ready, rollout-started, frames (batched), then rollout-done | failed
 */
import type { BackendInfo, MetricRecord, RolloutEndReason, RolloutFrame } from '../api/contract.js';

export interface StartMessage {
  type: 'start';
  runId: string;
  runDir: string;
  algo: string;
  env: string;
  config: Record<string, unknown>;
  seed: number;
  totalSteps: number;
  resume: boolean;
}

export interface StopMessage {
  type: 'stop';
}

/** Detect the compute backend and report it as `started`, then exit (system:info asks a process, not the UI). */
export interface ProbeMessage {
  type: 'probe';
}

/** Roll out the policy of one checkpoint on one episode and stream its states. */
export interface RolloutMessage {
  type: 'rollout';
  runDir: string;
  env: string;
  /** The run's stored config (network shape, observation normalisation, action clipping). */
  config: Record<string, unknown>;
  checkpointStep: number;
  seed: number;
  deterministic: boolean;
  maxSteps: number | null;
  /** Frames per second; 0 streams as fast as frames are computed. */
  fps: number;
}

export type ParentMessage = StartMessage | StopMessage | ProbeMessage | RolloutMessage;

export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'started'; backend: BackendInfo }
  | { type: 'progress'; step: number; totalSteps: number; sps: number; recentReturn: number | null; etaSeconds: number | null }
  | { type: 'metrics'; records: MetricRecord[] }
  | { type: 'log'; lines: string[] }
  | { type: 'checkpoint'; step: number }
  | { type: 'episode'; step: number }
  | { type: 'done'; status: 'finished' | 'stopped'; step: number; backend: BackendInfo; episodes?: number }
  | { type: 'failed'; message: string; stack?: string }
  | { type: 'rollout-started'; envId: string; checkpointStep: number }
  | { type: 'frames'; frames: RolloutFrame[] }
  | { type: 'rollout-done'; reason: Exclude<RolloutEndReason, 'failed'>; steps: number; return: number };

const WORKER_TYPES = new Set<WorkerMessage['type']>([
  'ready',
  'started',
  'progress',
  'metrics',
  'log',
  'checkpoint',
  'episode',
  'done',
  'failed',
  'rollout-started',
  'frames',
  'rollout-done',
]);

/** Cheap shape check for messages from a worker (it is our own code, but a crash can leave garbage). */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    WORKER_TYPES.has((value as { type: WorkerMessage['type'] }).type)
  );
}

export function isParentMessage(value: unknown): value is ParentMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'start' || type === 'stop' || type === 'probe' || type === 'rollout';
}

/** How often a worker flushes batched metrics/progress to the parent (10 Hz keeps charts ≥ 5 updates/s). */
export const WORKER_FLUSH_MS = 100;
