/**
 * One view's chart layout as reactive state, loaded from and saved to localStorage under the data folder and the
 * view (layout.ts). The data folder can be learnt after the view opened (system:info arrives late on a busy
 * machine): changes made before that are the user's latest, so they are saved under the folder, not overwritten.
 */
import { defaultChartLayout, loadChartLayout, saveChartLayout, type ChartLayout } from './layout.js';

export class ChartLayoutState {
  layout = $state<ChartLayout>(defaultChartLayout());
  #home: string | null = null;
  #view: string | null = null;
  #changedBeforeHome = false;

  /** Uses (and from now on saves) the layout stored for `view` in data folder `home`. */
  use(home: string | null, view: string): void {
    if (home === this.#home && view === this.#view) return;
    const keep = this.#home === null && home !== null && view === this.#view && this.#changedBeforeHome;
    this.#home = home;
    this.#view = view;
    if (keep) saveChartLayout(home, view, $state.snapshot(this.layout));
    else this.layout = loadChartLayout(home, view);
    this.#changedBeforeHome = false;
  }

  set(next: ChartLayout): void {
    this.layout = next;
    if (this.#view === null) return;
    if (this.#home === null) this.#changedBeforeHome = true;
    saveChartLayout(this.#home, this.#view, $state.snapshot(this.layout));
  }
}
