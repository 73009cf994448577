/**
 * The training progress bar (cli-progress): steps, SPS, recent return (mean of the last 20 episodes), ETA.
 * On a terminal it redraws in place on stderr; elsewhere (pipes, CI logs) it prints a plain line every few seconds.
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../algos/loop.js';

function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class ProgressDisplay {
  readonly #bar: cliProgress.SingleBar | null;
  #started = false;

  constructor(enabled: boolean) {
    this.#bar = enabled
      ? new cliProgress.SingleBar(
          {
            format: '{bar} {percentage}% | {value}/{total} steps | {sps} SPS | return {ret} | ETA {etaText}',
            hideCursor: true,
            noTTYOutput: true,
            notTTYSchedule: 5000,
            fps: 10,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  }

  update(p: ProgressEvent): void {
    if (!this.#bar) return;
    const payload = {
      sps: Math.round(p.sps).toLocaleString('en-US'),
      ret: p.recentReturn === null ? '--' : p.recentReturn.toFixed(1),
      etaText: formatSeconds(p.etaSeconds),
    };
    if (!this.#started) {
      this.#bar.start(p.totalSteps, Math.min(p.step, p.totalSteps), payload);
      this.#started = true;
    } else {
      this.#bar.setTotal(p.totalSteps);
      this.#bar.update(Math.min(p.step, p.totalSteps), payload);
    }
  }

  stop(): void {
    if (this.#bar && this.#started) this.#bar.stop();
    this.#started = false;
  }
}
