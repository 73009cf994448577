/**
 * Synchronised crosshair and x zoom across the charts of one view (issue 11). One ChartSync per chart grid, handed
 * to its charts by context. The crosshair is high-frequency and kept out of Svelte's reactivity: the hovered x is a
 * plain field, and the other charts are redrawn once per animation frame, only those on screen. The shared x range
 * is reactive state (it changes on a zoom, pan or reset, rarely); a chart off screen applies it when it scrolls in.
 */
import type { Chart, Plugin } from 'chart.js';
import { getContext, setContext, untrack } from 'svelte';

export interface XRange {
  min: number;
  max: number;
}

/** A shared range: `range` null is a reset; `source` is the chart it came from (null: the toolbar). */
export interface SharedRange {
  axis: string;
  range: XRange | null;
  source: SyncMember | null;
  version: number;
}

/** One chart of the view, as the sync sees it. */
export interface SyncMember {
  chart: Chart | null;
  /** The x-axis key (step, relative, wall): charts on different axes do not share a crosshair or a range. */
  axis: string;
  /** On screen (IntersectionObserver): only these are redrawn for the crosshair. */
  visible: boolean;
}

export class ChartSync {
  /** Crosshair and zoom shared (the toolbar's "Sync x"). */
  enabled = $state(true);
  shared = $state.raw<SharedRange | null>(null);
  /** The hovered x and the chart under the pointer (plain: read while drawing). */
  hover: { axis: string; x: number; source: SyncMember } | null = null;
  // Plain on purpose: members join and leave as charts mount; nothing renders from this set.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #members = new Set<SyncMember>();
  #frame: number | null = null;
  #version = 0;

  join(member: SyncMember): () => void {
    this.#members.add(member);
    return () => this.#members.delete(member);
  }

  /** Charts of the view (for tests and the toolbar). */
  get size(): number {
    return this.#members.size;
  }

  setHover(member: SyncMember, x: number | null): void {
    if (x !== null && !untrack(() => this.enabled)) return;
    const prev = this.hover;
    if (x === null) {
      if (prev === null || prev.source !== member) return;
      this.hover = null;
    } else {
      if (prev && prev.source === member && prev.x === x) return;
      this.hover = { axis: member.axis, x, source: member };
    }
    this.#schedule();
  }

  /**
   * Redraws the visible charts not under the pointer on the next frame (one redraw per frame whatever the pointer
   * rate; the chart under the pointer redraws itself for its tooltip).
   */
  #schedule(): void {
    if (this.#frame !== null) return;
    const raf = globalThis.requestAnimationFrame ?? ((f: FrameRequestCallback) => setTimeout(() => f(0), 16) as unknown as number);
    this.#frame = raf(() => {
      this.#frame = null;
      const source = this.hover?.source;
      for (const m of this.#members) if (m !== source && m.visible && m.chart) m.chart.draw();
    });
  }

  /** A chart's zoom or pan, passed to the others when sync is on. */
  publishRange(member: SyncMember, range: XRange | null): void {
    if (!this.enabled) return;
    this.shared = { axis: member.axis, range, source: member, version: ++this.#version };
  }

  /** Reset zoom on every chart of the view (also when sync is off). */
  resetAll(axis: string): void {
    this.shared = { axis, range: null, source: null, version: ++this.#version };
  }

  dispose(): void {
    if (this.#frame !== null) (globalThis.cancelAnimationFrame ?? clearTimeout)(this.#frame);
    this.#frame = null;
    this.#members.clear();
  }
}

const KEY = Symbol('policylab.chartSync');

export function setChartSync(sync: ChartSync): ChartSync {
  return setContext(KEY, sync);
}

/** The grid's sync, or undefined for a chart outside a grid. */
export function getChartSync(): ChartSync | undefined {
  return getContext<ChartSync | undefined>(KEY);
}

/**
 * A shared range to apply to `member` now: newer than `applied`, on the member's axis, from another chart, and
 * the member on screen (off screen, it waits until it scrolls in). Null when there is nothing to do.
 */
export function pendingRange(shared: SharedRange | null, member: SyncMember, applied: number): SharedRange | null {
  if (!shared || shared.version <= applied || shared.source === member || !member.visible) return null;
  return shared.axis === member.axis ? shared : null;
}

/** Nearest element index by x value in a dataset sorted by x (parsing off: {x, y} points). */
function nearestIndex(data: readonly { x: number }[], x: number): number {
  let lo = 0;
  let hi = data.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (data[mid]!.x < x) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && Math.abs(data[lo - 1]!.x - x) <= Math.abs(data[lo]!.x - x) ? lo - 1 : lo;
}

export interface CrosshairOptions {
  /** Which datasets get a value in the label (e.g. not the min/max band edges). */
  include: (datasetIndex: number) => boolean;
  format: (y: number) => string;
  /** Label text of a dataset (omitted when the chart has one series: the card's title names it). */
  name?: (datasetIndex: number) => string | null;
  maxValues?: number;
}

/**
 * The Chart.js side of ChartSync: publishes the pointer's x on the chart, and draws the shared crosshair (a
 * vertical line, a dot on each series and their values) on the charts not under the pointer. The canvas carries
 * `data-crosshair-x` while a crosshair is drawn on it (what the e2e test probes).
 */
export function crosshairPlugin(sync: ChartSync, member: SyncMember, options: CrosshairOptions): Plugin<'line'> {
  return {
    id: 'policylabCrosshair',
    afterEvent(chart, args) {
      const e = args.event;
      if (e.type === 'mouseout' || e.x === null) return sync.setHover(member, null);
      if (e.type !== 'mousemove') return;
      const area = chart.chartArea;
      const inside = e.x >= area.left && e.x <= area.right && e.y !== null && e.y >= area.top && e.y <= area.bottom;
      sync.setHover(member, inside ? chart.scales.x!.getValueForPixel(e.x) ?? null : null);
    },
    afterDatasetsDraw(chart) {
      const hover = sync.hover;
      const canvas = chart.canvas;
      const area = chart.chartArea;
      const scale = chart.scales.x;
      // untrack: a draw may run inside a component's effect (chart.update), which must not depend on the toggle.
      if (!hover || !scale || hover.source === member || hover.axis !== member.axis || !untrack(() => sync.enabled)) {
        delete canvas.dataset.crosshairX;
        return;
      }
      const px = scale.getPixelForValue(hover.x);
      if (!(px >= area.left && px <= area.right)) {
        delete canvas.dataset.crosshairX;
        return;
      }
      const { ctx } = chart;
      const values: { text: string; colour: string; y: number }[] = [];
      ctx.save();
      ctx.strokeStyle = 'rgba(120,120,120,0.75)';
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(Math.round(px) + 0.5, area.top);
      ctx.lineTo(Math.round(px) + 0.5, area.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      chart.data.datasets.forEach((ds, i) => {
        if (!options.include(i) || !chart.isDatasetVisible(i)) return;
        const data = ds.data as unknown as { x: number; y: number }[];
        if (data.length === 0) return;
        const p = data[nearestIndex(data, hover.x)]!;
        if (p.y === null || !Number.isFinite(p.y)) return;
        const py = chart.scales.y!.getPixelForValue(p.y);
        const colour = typeof ds.borderColor === 'string' ? ds.borderColor : '#2f6fde';
        ctx.fillStyle = colour;
        ctx.beginPath();
        ctx.arc(scale.getPixelForValue(p.x), py, 3, 0, Math.PI * 2);
        ctx.fill();
        const name = options.name?.(i);
        values.push({ text: name ? `${name}: ${options.format(p.y)}` : options.format(p.y), colour, y: p.y });
      });
      values.sort((a, b) => b.y - a.y);
      const shown = values.slice(0, options.maxValues ?? 5);
      if (shown.length > 0) {
        ctx.font = '11px system-ui, sans-serif';
        const lineHeight = 14;
        const width = Math.max(...shown.map((v) => ctx.measureText(v.text).width)) + 21;
        const height = shown.length * lineHeight + 6;
        const left = px + 6 + width <= area.right ? px + 6 : px - 6 - width;
        ctx.fillStyle = 'rgba(255,255,255,0.88)';
        ctx.fillRect(left, area.top + 2, width, height);
        ctx.textBaseline = 'top';
        // Dark text on the light box, a swatch in the series' colour (a faded line's colour would be unreadable).
        shown.forEach((v, k) => {
          const top = area.top + 5 + k * lineHeight;
          ctx.fillStyle = v.colour;
          ctx.fillRect(left + 5, top + 2, 7, 7);
          ctx.fillStyle = '#1f2933';
          ctx.fillText(v.text, left + 16, top);
        });
      }
      ctx.restore();
      canvas.dataset.crosshairX = String(hover.x);
      canvas.dataset.crosshairValues = shown.map((v) => v.text).join('|');
    },
  };
}

/** Tracks whether an element is on screen (the member's `visible`); returns the teardown. */
export function observeVisibility(el: Element, onChange: (visible: boolean) => void): () => void {
  if (typeof IntersectionObserver === 'undefined') {
    onChange(true);
    return () => undefined;
  }
  const observer = new IntersectionObserver((entries) => {
    const last = entries[entries.length - 1];
    if (last) onChange(last.isIntersecting);
  });
  observer.observe(el);
  return () => observer.disconnect();
}
