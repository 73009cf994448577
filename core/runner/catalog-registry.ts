/** The real catalog: core/algos/registry.ts (ALGOS) and core/envs (ENV_IDS, envSpec). */
import type { EnvDescription } from '../api/contract.js';
import { ALGO_IDS, ALGOS } from '../algos/registry.js';
import { ENV_IDS, envSpec } from '../envs/index.js';
import { createCatalog, type AlgoCatalog, type CatalogAlgo } from './catalog.js';

export function fromRegistry(): AlgoCatalog {
  const algos: CatalogAlgo[] = ALGO_IDS.map((id) => {
    const a = ALGOS[id];
    return {
      id: a.id,
      title: a.title,
      description: a.description,
      configSchema: a.configSchema,
      presets: a.presets as Record<string, Record<string, unknown>>,
      presetTotalSteps: a.presetTotalSteps,
      defaultTotalSteps: a.defaultTotalSteps,
      envs: a.envs,
    };
  });
  const envs: EnvDescription[] = ENV_IDS.map((id) => {
    const s = envSpec(id);
    return {
      id,
      description: s.description,
      obsDim: s.obsDim,
      action: s.actionSpace.kind === 'discrete' ? { kind: 'discrete', n: s.actionSpace.n } : { kind: 'box', dim: s.actDim },
      maxEpisodeSteps: s.maxEpisodeSteps,
      rewardThreshold: s.rewardThreshold,
    };
  });
  return createCatalog(algos, envs);
}
