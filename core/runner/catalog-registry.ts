/** The real catalog: core/algos/registry.ts (ALGOS) and core/envs (ENV_IDS, envSpec). */
import type { EnvDescription } from '../api/contract.js';
import { ALGO_IDS, ALGOS } from '../algos/registry.js';
import { ENV_IDS, envSpec } from '../envs/index.js';
import { LM_ENV } from '../algos/lm/config.js';
import { createCatalog, type AlgoCatalog, type CatalogAlgo } from './catalog.js';

/** Not an environment: the language-model runs (pretrain, SFT) read the text their config names. */
const LM_TEXT_ENV: EnvDescription = {
  id: LM_ENV,
  description: 'No environment: language-model and preference runs (LM pretrain, LM SFT, reward model, RLHF, DPO) train on the text, prompt–response pairs or preference dataset their config names (corpus, data, dataset; RLHF samples its task\'s prompts).',
  obsDim: 0,
  action: { kind: 'discrete', n: 0 },
  maxEpisodeSteps: 0,
  rewardThreshold: null,
};

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
      // An algorithm for every env still names them, so the language-model runs' 'text' is refused for RL.
      envs: a.envs ?? ENV_IDS,
    };
  });
  const envs: EnvDescription[] = [...ENV_IDS.map((id): EnvDescription => {
    const s = envSpec(id);
    return {
      id,
      description: s.description,
      obsDim: s.obsDim,
      action: s.actionSpace.kind === 'discrete' ? { kind: 'discrete', n: s.actionSpace.n } : { kind: 'box', dim: s.actDim },
      maxEpisodeSteps: s.maxEpisodeSteps,
      rewardThreshold: s.rewardThreshold,
    };
  }), LM_TEXT_ENV];
  return createCatalog(algos, envs);
}
