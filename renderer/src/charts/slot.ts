/** What a chart of the grid may do to its own place in it (pin, hide, full screen), handed down by context. */
import { getContext, setContext } from 'svelte';

export interface ChartSlotActions {
  readonly key: string;
  readonly pinned: boolean;
  readonly fullscreen: boolean;
  togglePin(): void;
  hide(): void;
  toggleFullscreen(): void;
}

const KEY = Symbol('policylab.chartSlot');

export function setChartSlot(slot: ChartSlotActions): void {
  setContext(KEY, slot);
}

/** The slot of a chart inside a chart grid; undefined elsewhere (the chart then shows no slot buttons). */
export function getChartSlot(): ChartSlotActions | undefined {
  return getContext<ChartSlotActions | undefined>(KEY);
}
