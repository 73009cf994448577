/**
 * The compare view's settings as one reactive object (bind controls straight to its properties), with
 * JSON round-trip so the app can keep them in localStorage between sessions. Invalid stored values fall
 * back to defaults instead of breaking the view.
 */
import { BAND_KINDS, type BandKind } from '../analysis/grouping.js';
import { MAX_EMA_WEIGHT, type SmoothingSpec } from '../analysis/smoothing.js';
import { METRIC_STATS } from '../analysis/summary.js';
import { X_AXIS_MODES, type XAxisMode } from '../analysis/x-axis.js';
import type { GroupingChoice } from './grouping-choice.js';
import type { MetricColumn } from './types.js';

export interface CompareSettingsJson {
  smoothing: SmoothingSpec;
  xAxis: XAxisMode;
  logX: boolean;
  logY: boolean;
  grouping: GroupingChoice;
  band: BandKind;
  showMembers: boolean;
  columns: MetricColumn[];
}

export const DEFAULT_COMPARE_SETTINGS: CompareSettingsJson = {
  smoothing: { kind: 'ema', weight: 0.6 },
  xAxis: 'step',
  logX: false,
  logY: false,
  grouping: { mode: 'none' },
  band: 'std',
  showMembers: false,
  columns: [
    { key: 'rollout/episodeReturn', stat: 'last' },
    { key: 'rollout/episodeReturn', stat: 'best' },
  ],
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseSmoothing(v: unknown): SmoothingSpec | null {
  if (!isObject(v)) return null;
  if (v.kind === 'none') return { kind: 'none' };
  if (v.kind === 'ema' && typeof v.weight === 'number' && v.weight >= 0 && v.weight <= MAX_EMA_WEIGHT) return { kind: 'ema', weight: v.weight };
  if (v.kind === 'running' && Number.isInteger(v.window) && (v.window as number) >= 1) return { kind: 'running', window: v.window as number };
  return null;
}

function parseGrouping(v: unknown): GroupingChoice | null {
  if (!isObject(v)) return null;
  if (v.mode === 'none') return { mode: 'none' };
  if (v.mode === 'key' && typeof v.key === 'string' && v.key !== '') return { mode: 'key', key: v.key };
  if (v.mode === 'allExcept' && Array.isArray(v.keys) && v.keys.every((k) => typeof k === 'string')) return { mode: 'allExcept', keys: v.keys as string[] };
  return null;
}

function parseColumns(v: unknown): MetricColumn[] | null {
  if (!Array.isArray(v)) return null;
  const ok = v.every((c) => isObject(c) && typeof c.key === 'string' && (METRIC_STATS as readonly unknown[]).includes(c.stat));
  return ok ? (v as MetricColumn[]).map((c) => ({ key: c.key, stat: c.stat })) : null;
}

export class CompareSettings {
  smoothing = $state<SmoothingSpec>(DEFAULT_COMPARE_SETTINGS.smoothing);
  xAxis = $state<XAxisMode>(DEFAULT_COMPARE_SETTINGS.xAxis);
  logX = $state(false);
  logY = $state(false);
  grouping = $state<GroupingChoice>(DEFAULT_COMPARE_SETTINGS.grouping);
  band = $state<BandKind>(DEFAULT_COMPARE_SETTINGS.band);
  showMembers = $state(false);
  columns = $state<MetricColumn[]>(DEFAULT_COMPARE_SETTINGS.columns.map((c) => ({ ...c })));
  /** Run id or group key under the pointer, shared by the charts and the table. */
  highlight = $state<string | null>(null);

  constructor(json?: unknown) {
    if (json !== undefined) this.load(json);
  }

  /** Applies every valid field of `json` (e.g. parsed from localStorage); ignores the rest. */
  load(json: unknown): void {
    if (!isObject(json)) return;
    this.smoothing = parseSmoothing(json.smoothing) ?? this.smoothing;
    if ((X_AXIS_MODES as readonly unknown[]).includes(json.xAxis)) this.xAxis = json.xAxis as XAxisMode;
    if (typeof json.logX === 'boolean') this.logX = json.logX;
    if (typeof json.logY === 'boolean') this.logY = json.logY;
    this.grouping = parseGrouping(json.grouping) ?? this.grouping;
    if ((BAND_KINDS as readonly unknown[]).includes(json.band)) this.band = json.band as BandKind;
    if (typeof json.showMembers === 'boolean') this.showMembers = json.showMembers;
    this.columns = parseColumns(json.columns) ?? this.columns;
  }

  toJSON(): CompareSettingsJson {
    return {
      smoothing: $state.snapshot(this.smoothing),
      xAxis: this.xAxis,
      logX: this.logX,
      logY: this.logY,
      grouping: $state.snapshot(this.grouping),
      band: this.band,
      showMembers: this.showMembers,
      columns: $state.snapshot(this.columns),
    };
  }
}
