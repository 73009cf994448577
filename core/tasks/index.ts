/**
 * The shipped tasks (resources/tasks/), each with a programmatic oracle that scores a completion, so preference
 * data, reward models and policies can be measured without people.
 *   sentiment    review prefixes → continuations; oracle = AFINN-165 score (sentiment.ts)
 *   arithmetic   "Q: 17 + 25 = ?\nA:" → answers; oracle = correct first, then brevity (arithmetic.ts)
 * The files are generated deterministically from a seed by `npx tsx scripts/gen-tasks.ts` (generate.ts).
 */
import { arithmeticScore } from './arithmetic.js';
import { sentimentScore } from './sentiment.js';

export const TASK_IDS = ['sentiment', 'arithmetic'] as const;
export type TaskId = (typeof TASK_IDS)[number];

export interface TaskSpec {
  id: TaskId;
  title: string;
  /** What a higher oracle score means. */
  oracleDescription: string;
  /** The oracle's reward r*(prompt, completion); higher is better. */
  oracle: (prompt: string, completion: string) => number;
}

export const TASKS: Record<TaskId, TaskSpec> = {
  sentiment: {
    id: 'sentiment',
    title: 'Sentiment continuation',
    oracleDescription: 'AFINN-165 score of the completion (the sentiment package): more positive is better',
    oracle: (_prompt, completion) => sentimentScore(completion),
  },
  arithmetic: {
    id: 'arithmetic',
    title: 'Arithmetic answers',
    oracleDescription: 'correct result first (+1), then brevity 1/(1 + chars/40)',
    oracle: arithmeticScore,
  },
};

export function isTaskId(id: unknown): id is TaskId {
  return typeof id === 'string' && (TASK_IDS as readonly string[]).includes(id);
}

/** The task spec for `id`; throws naming the valid ids otherwise. */
export function getTask(id: string): TaskSpec {
  if (!isTaskId(id)) throw new Error(`unknown task ${JSON.stringify(id)}; valid: ${TASK_IDS.join(', ')}`);
  return TASKS[id];
}

export { arithmeticScore, firstInteger, parseProblem, problemPrompt, solve } from './arithmetic.js';
export { generateReview, sentimentScore } from './sentiment.js';
export { DEFAULT_TASK_SEED, generateTaskFiles, TASK_FILE_COUNTS, SFT_MIX, type TaskFile } from './generate.js';
