/**
 * Which launch-form fields of the language-model and preference runs become pickers, and what the pickers offer.
 * The config field names are the contract of issue 13: `dataset` (a preference dataset id of this data folder or the
 * absolute path of a TRL JSONL file), `init` + `initStep` (an LM-holding run and its checkpoint step, null = latest,
 * or an LM folder), `rewardModel` + `rewardModelStep` (a reward-model run and step; 'oracle' where the schema allows
 * it). Pure functions, so they are unit-tested in Node; PickerField.svelte draws them.
 */
import type { CheckpointInfo, DatasetInfo, RunInfo } from '../../../core/api/contract.js';
import type { Field } from '../lib/schema-form.js';

/** Run types whose checkpoints hold a policy LM (models.lm): what `init`, pair generation and the sample viewer read. */
export const LM_POLICY_ALGOS: readonly string[] = ['pretrain', 'sft', 'rlhf-ppo', 'dpo'];
/** Run types trained on preferences (their runs are the reward–KL frontier's points). */
export const PREF_POLICY_ALGOS: readonly string[] = ['rlhf-ppo', 'dpo'];
export const REWARD_MODEL_ALGO = 'reward-model';
/** The value a `rewardModel` field takes for the task's programmatic reward instead of a learned one. */
export const ORACLE = 'oracle';

export type Picker =
  | { kind: 'dataset' }
  | { kind: 'policy' }
  | { kind: 'reward-model'; oracle: boolean }
  /** The checkpoint step of the run named by field `of`. */
  | { kind: 'step'; of: string };

const RUN_FIELDS: Record<string, 'policy' | 'reward-model'> = { init: 'policy', rewardModel: 'reward-model' };

/** Whether a text-like field may hold 'oracle' (its enum lists it, or its help says so). */
function allowsOracle(field: Field): boolean {
  if (field.options.includes(ORACLE)) return true;
  const variants = [...((field.schema.anyOf as { const?: unknown; enum?: unknown[] }[] | undefined) ?? [])];
  if (variants.some((v) => v.const === ORACLE || v.enum?.includes(ORACLE))) return true;
  return /['"`]oracle['"`]/i.test(field.description);
}

/** The picker a field becomes, or null for an ordinary field. */
export function pickerOf(field: Field): Picker | null {
  const textLike = field.kind === 'string' || field.kind === 'json' || field.kind === 'enum';
  if (field.key === 'dataset' && field.kind === 'string') return { kind: 'dataset' };
  const run = RUN_FIELDS[field.key];
  if (run === 'policy' && field.kind === 'string') return { kind: 'policy' };
  if (run === 'reward-model' && textLike) return { kind: 'reward-model', oracle: allowsOracle(field) };
  if (field.key.endsWith('Step') && (field.kind === 'integer' || field.kind === 'number')) {
    const of = field.key.slice(0, -'Step'.length);
    if (of in RUN_FIELDS) return { kind: 'step', of };
  }
  return null;
}

/**
 * Whether the field must be chosen: required by the schema, or (the preference runs' style: default '' and checked
 * when training starts) its help says "Required.". Its empty choice then reads "— pick one —", not "none".
 */
export function mustPick(field: Field): boolean {
  return (field.required && !field.nullable) || /\bRequired\./.test(field.description);
}

export interface PickOption {
  /** The raw form value (what the config field gets). */
  value: string;
  label: string;
}

/** "name — 240 pairs · A 118 / B 110 / tie 12 (oracle β 1, Bayes 81%)". */
export function datasetOptionLabel(d: DatasetInfo): string {
  const balance = `A ${d.labels.a} / B ${d.labels.b} / tie ${d.labels.tie}${d.labels.skip ? ` / skip ${d.labels.skip}` : ''}`;
  const oracle = d.oracle ? ` (oracle β ${d.oracle.beta}, Bayes ${(d.oracle.bayesAccuracy * 100).toFixed(0)}%)` : '';
  return `${d.name} — ${d.size} pairs · ${balance}${oracle}${d.task ? ` · ${d.task}` : ''}`;
}

export function datasetOptions(datasets: readonly DatasetInfo[]): PickOption[] {
  return datasets.map((d) => ({ value: d.id, label: datasetOptionLabel(d) }));
}

export function runOptionLabel(r: RunInfo): string {
  return `${r.name} (${r.algo}, step ${r.step}, ${r.status})`;
}

/** Newest first: the run a user most likely means. */
function newestFirst(runs: readonly RunInfo[]): RunInfo[] {
  return [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export function policyRuns(runs: readonly RunInfo[]): RunInfo[] {
  return newestFirst(runs.filter((r) => LM_POLICY_ALGOS.includes(r.algo) && !r.external));
}

export function rewardModelRuns(runs: readonly RunInfo[]): RunInfo[] {
  return newestFirst(runs.filter((r) => r.algo === REWARD_MODEL_ALGO && !r.external));
}

/** The runs a run picker offers (a policy LM or a reward model). */
export function runOptions(picker: Picker, runs: readonly RunInfo[]): PickOption[] {
  const list = picker.kind === 'policy' ? policyRuns(runs) : picker.kind === 'reward-model' ? rewardModelRuns(runs) : [];
  const options = list.map((r) => ({ value: r.id, label: runOptionLabel(r) }));
  if (picker.kind === 'reward-model' && picker.oracle) options.unshift({ value: ORACLE, label: "oracle (the task's true reward)" });
  return options;
}

/**
 * A step field's choices for a run's checkpoints: "latest" first (the empty value = null where the field is
 * nullable, else the newest step itself), then every step, newest first.
 */
export function stepOptions(field: Field, checkpoints: readonly CheckpointInfo[]): PickOption[] {
  const steps = [...new Set(checkpoints.map((c) => c.step))].sort((a, b) => b - a);
  const options = steps.map((s) => ({ value: String(s), label: `step ${s}` }));
  if (field.nullable) options.unshift({ value: '', label: steps.length ? `latest (now step ${steps[0]})` : 'latest' });
  return options;
}

/** The raw value a step field takes when its run changes: the latest checkpoint. */
export function latestStepValue(field: Field, checkpoints: readonly CheckpointInfo[]): string {
  if (field.nullable) return '';
  const steps = checkpoints.map((c) => c.step);
  return steps.length ? String(Math.max(...steps)) : '';
}
