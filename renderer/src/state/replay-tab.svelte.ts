/**
 * The Run page's Replay tab: recorded evaluation episodes (listed by checkpoint step, one loaded at a time) and
 * the run's checkpoints, which live rollouts and side-by-side replays start from. Kept fresh by run:checkpoint.
 */
import type { CheckpointInfo, EpisodeInfo, RunInfo } from '../../../core/api/contract.js';
import { api, errorText } from '../lib/api.js';
import { formatSteps } from '../lib/format.js';
import type { ReplayEpisode } from '../replay/types.js';
import { collectEpisode, type RolloutParams } from './live-rollout.svelte.js';

export class RecordedEpisodes {
  readonly runId: string;
  list = $state<EpisodeInfo[]>([]);
  checkpoints = $state<CheckpointInfo[]>([]);
  loading = $state(true);
  error = $state<string | null>(null);
  selected = $state<number | null>(null);
  episode = $state.raw<ReplayEpisode | null>(null);
  episodeLoading = $state(false);
  episodeError = $state<string | null>(null);
  #request = 0;

  constructor(runId: string) {
    this.runId = runId;
  }

  open(): () => void {
    const a = api();
    const offs = [
      a.on('run:checkpoint', ({ id }) => {
        if (id === this.runId) void this.load(false);
      }),
    ];
    void this.load(true);
    return () => offs.forEach((off) => off());
  }

  /** Lists episodes and checkpoints; selects the newest episode the first time. */
  async load(selectNewest: boolean): Promise<void> {
    try {
      const a = api();
      const [list, checkpoints] = await Promise.all([a.call('episodes:list', { id: this.runId }), a.call('checkpoints:list', { id: this.runId })]);
      this.list = list;
      this.checkpoints = checkpoints;
      this.error = null;
      if (selectNewest && this.selected === null && list.length > 0) await this.select(list[list.length - 1]!.step);
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loading = false;
    }
  }

  async select(step: number): Promise<void> {
    const request = ++this.#request;
    this.selected = step;
    this.episodeLoading = true;
    this.episodeError = null;
    try {
      const e = await api().call('episodes:get', { id: this.runId, step });
      if (request !== this.#request) return;
      this.episode = { envId: e.envId, seed: e.seed, states: e.states, actions: e.actions, rewards: e.rewards, return: e.return };
    } catch (err) {
      if (request !== this.#request) return;
      this.episode = null;
      this.episodeError = errorText(err);
    } finally {
      if (request === this.#request) this.episodeLoading = false;
    }
  }
}

export interface SideSource {
  runId: string;
  checkpointStep: number | null;
}

/** Two policies (two runs, or two checkpoints of one run) rolled out on the same seed, replayed in sync. */
export class SideBySideState {
  left = $state<SideSource>({ runId: '', checkpointStep: null });
  right = $state<SideSource>({ runId: '', checkpointStep: null });
  seed = $state(0);
  deterministic = $state(true);
  /** Runs on the same env that can be picked, and each one's checkpoints. */
  runs = $state<RunInfo[]>([]);
  checkpoints = $state<Record<string, CheckpointInfo[]>>({});
  busy = $state(false);
  error = $state<string | null>(null);
  episodes = $state.raw<{ left: ReplayEpisode; right: ReplayEpisode; leftLabel: string; rightLabel: string } | null>(null);

  /** Candidate runs: `run` and every other run on its env. Defaults: its two newest checkpoints. */
  async init(run: RunInfo, checkpoints: CheckpointInfo[]): Promise<void> {
    this.seed = run.seed;
    this.checkpoints[run.id] = checkpoints;
    const steps = checkpoints.map((c) => c.step);
    this.left = { runId: run.id, checkpointStep: steps.at(-2) ?? steps.at(-1) ?? null };
    this.right = { runId: run.id, checkpointStep: steps.at(-1) ?? null };
    try {
      const all = await api().call('runs:list');
      this.runs = [run, ...all.filter((r) => r.env === run.env && r.id !== run.id)];
    } catch (err) {
      this.runs = [run];
      this.error = errorText(err);
    }
  }

  /** Picks a run for one side and its newest checkpoint. */
  async pick(side: 'left' | 'right', runId: string): Promise<void> {
    if (!this.checkpoints[runId]) {
      try {
        this.checkpoints[runId] = await api().call('checkpoints:list', { id: runId });
      } catch (err) {
        this.error = errorText(err);
        this.checkpoints[runId] = [];
      }
    }
    this[side] = { runId, checkpointStep: this.checkpoints[runId]!.at(-1)?.step ?? null };
  }

  label(source: SideSource): string {
    const run = this.runs.find((r) => r.id === source.runId);
    return `${run?.name ?? source.runId} @ step ${formatSteps(source.checkpointStep)}`;
  }

  get ready(): boolean {
    return this.left.checkpointStep !== null && this.right.checkpointStep !== null && !this.busy;
  }

  #abort: AbortController | null = null;

  async run(): Promise<void> {
    if (this.left.checkpointStep === null || this.right.checkpointStep === null) return;
    this.#abort?.abort();
    const abort = (this.#abort = new AbortController());
    this.busy = true;
    this.error = null;
    const params = (s: SideSource): RolloutParams => ({ id: s.runId, checkpointStep: s.checkpointStep!, seed: this.seed, deterministic: this.deterministic });
    try {
      const [left, right] = await Promise.all([collectEpisode(params(this.left), abort.signal), collectEpisode(params(this.right), abort.signal)]);
      this.episodes = { left, right, leftLabel: this.label(this.left), rightLabel: this.label(this.right) };
    } catch (err) {
      if (!abort.signal.aborted) this.error = errorText(err);
      abort.abort(); // one side failed: stop the other
    } finally {
      if (this.#abort === abort) {
        this.#abort = null;
        this.busy = false;
      }
    }
  }

  /** Stops the rollouts of a side-by-side run still collecting (the panel is going away). */
  dispose(): void {
    this.#abort?.abort();
    this.#abort = null;
  }
}
