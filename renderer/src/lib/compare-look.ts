/**
 * How the compare view tells runs and groups apart: colours from the colour-blind-safe run palette handed out in its
 * most-distinct-first order, keyed by
 * the runs' creation order so a selection keeps its colours across reloads; and group labels short enough for a
 * legend.
 */
import { RUN_PALETTE } from '../analysis/colours.js';
import type { RunGroup } from '../analysis/grouping.js';

/** Palette slots in order: RUN_PALETTE is ordered most-distinct-first (colours.ts), so runs take it as it is. */
const SPREAD = RUN_PALETTE.map((_, i) => i);

export interface ColourSource {
  id: string;
  createdAt: string;
}

/**
 * Run id → colour, and `group:<key>` → colour for each group, each distinct up to the palette size. Groups take the
 * palette from its first (most distinct) slot on their own: a grouped chart draws every member in its group's
 * colour, so groups never share a chart with ungrouped run colours, and two groups must not get two late,
 * near-identical slots (two pinks when they came after seven runs).
 */
export function compareColours(runs: readonly ColourSource[], groups: readonly RunGroup[] = []): Map<string, string> {
  const ordered = [...runs].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const slot = (i: number): string => RUN_PALETTE[SPREAD[i % SPREAD.length]!]!;
  return new Map([...ordered.map((r, i) => [r.id, slot(i)] as const), ...groups.map((g, i) => [`group:${g.key}`, slot(i)] as const)]);
}

const MAX_LABEL = 60;

/**
 * Groups with legend-sized labels: a single group (every run shares the config) is named by its algorithm and
 * env instead of every config value; long labels are cut.
 */
export function readableGroups(groups: readonly RunGroup[] | null, runs: readonly { id: string; algo: string; env: string }[]): RunGroup[] | null {
  if (!groups) return null;
  return groups.map((g) => {
    let label = g.label;
    if (groups.length === 1 && label.split(', ').length > 2) {
      const members = runs.filter((r) => g.runIds.includes(r.id));
      const algos = [...new Set(members.map((r) => r.algo))].join('/');
      const envs = [...new Set(members.map((r) => r.env))].join('/');
      label = `${algos} on ${envs}`;
    }
    if (label.length > MAX_LABEL) label = `${label.slice(0, MAX_LABEL - 1)}…`;
    return label === g.label ? g : { ...g, label };
  });
}
