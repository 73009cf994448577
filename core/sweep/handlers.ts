/**
 * The contract's sweeps channels (`sweeps:list`, `sweeps:get`, `sweeps:start`, `sweeps:stop`), implemented over a
 * SweepController; core/runner/service.ts spreads them into its handler table. Requests arrive validated by
 * core/api/schemas.ts; the spec itself is checked here in full, a bad one refused with `invalid_request` and an issue
 * per bad key.
 */
import { ApiFailure, type Handlers } from '../api/contract.js';
import type { SweepInfo } from '../api/sweeps.js';
import { isCurrentProcess, type RunStore, type SweepRecord } from '../store/index.js';
import type { SweepController } from './controller.js';
import { sweepInfo, sweepResults } from './results.js';
import { SweepSpecError } from './spec.js';

type SweepChannels = 'sweeps:list' | 'sweeps:get' | 'sweeps:start' | 'sweeps:stop';

export function sweepHandlers(controller: SweepController, store: RunStore): Pick<Handlers, SweepChannels> {
  const lookup = (id: string) => store.findRun(id);
  const withOwner = <T extends SweepInfo>(info: T, record: SweepRecord): T => {
    const live = record.status === 'running' || record.status === 'stopping';
    return live && record.owner && !isCurrentProcess(record.owner) ? { ...info, owner: { kind: record.owner.kind, pid: record.owner.pid } } : info;
  };
  const info = (record: SweepRecord): SweepInfo => withOwner(sweepInfo(record, lookup), record);
  return {
    // A `policylab sweep` killed outright (no Ctrl-C) leaves its sweep `running`: listing marks it stopped.
    'sweeps:list': async () => {
      await controller.reconcile();
      return controller.list().map(info).reverse();
    },
    'sweeps:get': async ({ id, metric }) => {
      const record = controller.get(id);
      return withOwner(sweepResults(record, lookup, metric), record);
    },
    'sweeps:start': async ({ spec }) => {
      try {
        return info(await controller.start(spec));
      } catch (err) {
        if (err instanceof SweepSpecError) throw new ApiFailure('invalid_request', `sweeps:start: ${err.message.split('\n').join('; ')}`, err.issues);
        throw err;
      }
    },
    'sweeps:stop': async ({ id }) => info(await controller.stop(id)),
  };
}
