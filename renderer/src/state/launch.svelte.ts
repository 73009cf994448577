/**
 * The launch form: algorithm + env + preset choose the starting values, every config field is editable and
 * validated as the user types; several seeds launch several runs in one call.
 */
import type { AlgoDescription, AlgosDescription, EnvDescription, RunInfo } from '../../../core/api/contract.js';
import { api, ApiCallError, errorText } from '../lib/api.js';
import { fieldsOf, parseField, parseSeeds, toRaw, type Field, type RawValue } from '../lib/schema-form.js';

export class LaunchState {
  catalog = $state<AlgosDescription | null>(null);
  loadError = $state<string | null>(null);
  algoId = $state('');
  envId = $state('');
  preset = $state('');
  raw = $state<Record<string, RawValue>>({});
  seedsText = $state('1');
  totalStepsText = $state('');
  name = $state('');
  tagsText = $state('');
  /** Errors the back end returned per field (cleared when that field is edited). */
  serverErrors = $state<Record<string, string>>({});
  submitError = $state<string | null>(null);
  submitting = $state(false);
  /** The run this form was filled from by "Launch a copy" (null for a fresh "New run"). */
  copiedFrom = $state<string | null>(null);

  readonly algo: AlgoDescription | undefined = $derived(this.catalog?.algos.find((a) => a.id === this.algoId));
  readonly env: EnvDescription | undefined = $derived(this.catalog?.envs.find((e) => e.id === this.envId));
  readonly fields: Field[] = $derived(this.algo ? fieldsOf(this.algo.configSchema) : []);
  readonly presetNames: string[] = $derived(this.algo ? Object.keys(this.algo.presets) : []);
  /** The envs the chosen algorithm trains on (all of them when it does not say). */
  readonly envChoices: EnvDescription[] = $derived.by(() => {
    const envs = this.catalog?.envs ?? [];
    const allowed = this.algo?.envs;
    return allowed ? envs.filter((e) => allowed.includes(e.id)) : envs;
  });

  readonly fieldErrors: Record<string, string> = $derived.by(() => {
    const errors: Record<string, string> = {};
    for (const f of this.fields) {
      const parsed = parseField(f, this.raw[f.key] ?? '');
      if (!parsed.ok) errors[f.key] = parsed.error;
      else if (this.serverErrors[f.key]) errors[f.key] = this.serverErrors[f.key]!;
    }
    return errors;
  });

  readonly seeds = $derived(parseSeeds(this.seedsText));
  readonly totalSteps = $derived.by((): { ok: true; value: number } | { ok: false; error: string } => {
    const text = this.totalStepsText.trim().replace(/[_,\s]/g, '');
    if (!/^\d+(e\d+)?$/i.test(text)) return { ok: false, error: 'must be a whole number of env steps' };
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1) return { ok: false, error: 'must be ≥ 1' };
    if (n > 1e10) return { ok: false, error: 'must be ≤ 10000000000' };
    return { ok: true, value: n };
  });
  readonly nameError = $derived(this.name.length > 200 ? 'takes at most 200 characters' : null);
  readonly canLaunch = $derived(
    !!this.algo && !!this.envId && Object.keys(this.fieldErrors).length === 0 && this.seeds.ok && this.totalSteps.ok && !this.nameError && !this.submitting,
  );

  async load(): Promise<void> {
    try {
      this.catalog = await api().call('algos:describe');
      this.loadError = null;
      if (!this.algoId) this.selectAlgo(this.catalog.algos.find((a) => a.id === 'ppo')?.id ?? this.catalog.algos[0]?.id ?? '');
    } catch (err) {
      this.loadError = errorText(err);
    }
  }

  /** Prefills the form from an existing run (its algorithm, env and full config). */
  async prefillFrom(runId: string): Promise<void> {
    if (!this.catalog) await this.load();
    const run = await api().call('runs:get', { id: runId });
    this.algoId = run.algo;
    this.envId = run.env;
    this.preset = '';
    this.setValues(run.config);
    // Everything the run was launched with, its seed included (the copy reproduces it).
    this.seedsText = String(run.seed);
    this.totalStepsText = String(run.totalSteps);
    this.tagsText = run.tags.join(', ');
    this.name = '';
    this.copiedFrom = runId;
  }

  /**
   * A "New run" after a copy starts from the defaults again, so the copied run's settings (seed, config, tags)
   * do not leak into it. A form the user filled in by hand is kept as it was.
   */
  resetAfterCopy(): void {
    if (this.copiedFrom === null || !this.catalog) return;
    this.copiedFrom = null;
    this.seedsText = '1';
    this.name = '';
    this.tagsText = '';
    this.algoId = '';
    this.envId = '';
    this.selectAlgo(this.catalog.algos.find((a) => a.id === 'ppo')?.id ?? this.catalog.algos[0]?.id ?? '');
  }

  selectAlgo(id: string): void {
    this.algoId = id;
    // The env follows the algorithm: language-model and preference runs train on 'text' only, RL on the rest.
    const allowed = this.envChoices;
    if (!this.envId || !allowed.some((e) => e.id === this.envId)) {
      this.envId = allowed.find((e) => e.id === 'CartPole-v1')?.id ?? allowed[0]?.id ?? '';
    }
    this.selectPreset(this.defaultPreset());
  }

  selectEnv(id: string): void {
    this.envId = id;
    this.selectPreset(this.defaultPreset());
  }

  /** The preset named after the env when there is one, else the plain defaults. */
  defaultPreset(): string {
    return this.algo && this.envId in this.algo.presets ? this.envId : '';
  }

  selectPreset(name: string): void {
    this.preset = name;
    const preset = (name && this.algo?.presets[name]) || {};
    this.setValues(preset);
    if (this.algo) this.totalStepsText = String((name && this.algo.totalSteps.presets[name]) || this.algo.totalSteps.default);
  }

  /** Defaults from the schema overlaid with `values`. */
  setValues(values: Record<string, unknown>): void {
    const raw: Record<string, RawValue> = {};
    for (const f of this.fields) raw[f.key] = toRaw(f, f.key in values ? values[f.key] : f.schema.default);
    this.raw = raw;
    this.serverErrors = {};
    this.submitError = null;
  }

  setField(key: string, value: RawValue): void {
    this.raw[key] = value;
    if (this.serverErrors[key]) {
      const { [key]: _dropped, ...rest } = this.serverErrors;
      this.serverErrors = rest;
    }
  }

  config(): Record<string, unknown> {
    const config: Record<string, unknown> = {};
    for (const f of this.fields) {
      const parsed = parseField(f, this.raw[f.key] ?? '');
      if (parsed.ok && parsed.value !== undefined) config[f.key] = parsed.value;
    }
    return config;
  }

  async submit(): Promise<RunInfo[] | null> {
    if (!this.canLaunch || !this.seeds.ok || !this.totalSteps.ok) return null;
    this.submitting = true;
    this.submitError = null;
    try {
      const tags = this.tagsText.split(',').map((t) => t.trim()).filter(Boolean);
      return await api().call('runs:start', {
        algo: this.algoId,
        env: this.envId,
        config: this.config(),
        seeds: this.seeds.value as number[],
        totalSteps: this.totalSteps.value,
        ...(this.name.trim() ? { name: this.name.trim() } : {}),
        ...(tags.length ? { tags } : {}),
      });
    } catch (err) {
      if (err instanceof ApiCallError) {
        const perField: Record<string, string> = {};
        for (const issue of err.issues) {
          const m = /^config\.([^.[]+)/.exec(issue.path);
          if (m && this.fields.some((f) => f.key === m[1])) perField[m[1]!] = issue.message;
        }
        this.serverErrors = perField;
      }
      this.submitError = errorText(err);
      return null;
    } finally {
      this.submitting = false;
    }
  }
}

export const launchState = new LaunchState();
