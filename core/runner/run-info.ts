/** The store's run record → the contract's RunInfo (what the UI sees), with the live overlay of an active run. */
import type { RunInfo } from '../api/contract.js';
import { activeMsOf, type MetricSummary, type RunRecord } from '../store/index.js';

export const RETURN_KEY = 'rollout/episodeReturn';
export const SPS_KEY = 'time/sps';

export interface LiveOverlay {
  stopping: boolean;
  summary: Record<string, MetricSummary>;
  step: number;
  sps: number | null;
}

export function toRunInfo(record: RunRecord, live: LiveOverlay | null): RunInfo {
  const summary = live?.summary ?? record.summary;
  const ret = summary[RETURN_KEY];
  const status = live?.stopping && record.status === 'running' ? 'stopping' : record.status;
  return {
    id: record.id,
    name: record.name,
    algo: record.algo,
    env: record.env,
    seed: record.seed,
    status,
    config: record.config,
    backend: record.backend,
    tags: record.tags,
    notes: record.notes,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    activeSeconds: activeMsOf(record) / 1000,
    runningSince: record.runningSince ?? null,
    step: Math.max(record.step, live?.step ?? 0),
    totalSteps: record.totalSteps ?? 0,
    summary: {
      lastReturn: ret?.last ?? null,
      bestReturn: ret?.max ?? null,
      sps: live?.sps ?? summary[SPS_KEY]?.last ?? null,
    },
    error: record.error?.message ?? null,
    ...(record.external
      ? { external: { format: record.external.format, library: record.external.library, path: record.external.path, importedAt: record.external.importedAt } }
      : {}),
  };
}
