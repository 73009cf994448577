/**
 * The compare chart's faint raw lines, drawn straight onto the canvas by a Chart.js plugin instead of as
 * datasets, and the line styling rules they share with the datasets. Kept apart from chart-setup.ts (which
 * registers the zoom plugin, a browser-only module) so it is unit-tested in Node.
 */
import type { Plugin } from 'chart.js';
import { withAlpha } from '../analysis/colours.js';
import type { ChartLine } from './chart-model.js';

export type XY = { x: number; y: number };

/** A line's owner for highlighting and hiding: the group for group lines and members, else the run. */
export function ownerOf(line: ChartLine): string {
  return line.group ?? line.id;
}

/** A line's colour at `alpha`, faded to a fifth of it while another run or group is highlighted. */
export function lineAlpha(line: ChartLine, colour: string, highlight: string | null): (alpha: number) => string {
  const faded = highlight !== null && ownerOf(line) !== highlight;
  return (alpha: number) => withAlpha(colour, faded ? alpha * 0.2 : alpha);
}

/** A faint raw line, drawn by rawLinesPlugin rather than as a Chart.js dataset. */
export interface RawLine {
  points: readonly XY[];
  stroke: string;
}

export function styleRawLine(line: ChartLine, colour: string, highlight: string | null): RawLine {
  return { points: line.points, stroke: lineAlpha(line, colour, highlight)(0.28) };
}

/** Smallest and largest y of the lines (null when they have no finite point). */
export function yExtent(lines: readonly RawLine[]): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (const l of lines) {
    for (const p of l.points) {
      if (p.y < min) min = p.y;
      if (p.y > max) max = p.y;
    }
  }
  return min <= max ? { min, max } : null;
}

/**
 * Draws the faint raw lines behind every dataset, straight onto the canvas. As datasets they cost Chart.js a
 * point element, a parsed value and a pixel position per point — about half of a compare chart's update time
 * — for lines that take no hover, tooltip or legend entry. The chart's scales still fit them: buildOptions
 * widens the y axis to their extent.
 */
export function rawLinesPlugin(lines: () => readonly RawLine[]): Plugin<'line'> {
  return {
    id: 'policylabRawLines',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea: area, scales } = chart;
      const x = scales.x;
      const y = scales.y;
      if (!x || !y) return;
      ctx.save();
      ctx.beginPath();
      ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      ctx.clip();
      ctx.lineWidth = 1;
      ctx.lineJoin = 'round';
      for (const line of lines()) {
        ctx.strokeStyle = line.stroke;
        ctx.beginPath();
        let drawing = false;
        for (const p of line.points) {
          const px = x.getPixelForValue(p.x);
          const py = y.getPixelForValue(p.y);
          if (!Number.isFinite(px) || !Number.isFinite(py)) {
            drawing = false;
            continue;
          }
          if (drawing) ctx.lineTo(px, py);
          else ctx.moveTo(px, py);
          drawing = true;
        }
        ctx.stroke();
      }
      ctx.restore();
    },
  };
}
