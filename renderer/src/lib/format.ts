/** Display formatting shared by the views. */

/**
 * Intl formatters made once per option set: `toLocaleString(undefined, options)` builds a new formatter on every
 * call (about a millisecond each on a busy machine; the runs table formats hundreds of cells per redraw).
 */
const numberFormats = new Map<number, Intl.NumberFormat>();
function numberFormat(maximumFractionDigits: number): Intl.NumberFormat {
  let f = numberFormats.get(maximumFractionDigits);
  if (!f) numberFormats.set(maximumFractionDigits, (f = new Intl.NumberFormat(undefined, { maximumFractionDigits })));
  return f;
}
const TIME_OF_DAY = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const DAY_AND_TIME = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const YEAR_DAY_AND_TIME = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return value.toExponential(2);
  return numberFormat(digits).format(Number(value.toPrecision(digits + 2)));
}

export function formatSteps(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const abs = Math.abs(value);
  // Three significant figures at most, trailing zeros dropped: 10B, 2.5M, 125k (never "10000.0M").
  for (const [unit, suffix] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M']] as const) {
    if (abs >= unit) return `${+(value / unit).toFixed(abs >= unit * 100 ? 0 : abs >= unit * 10 ? 1 : 2)}${suffix}`;
  }
  if (abs >= 1e4) return `${+(value / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`;
  return String(value);
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  if (sameDay) return TIME_OF_DAY.format(d);
  // Another day: the date too (and the year when it is not this one), so "10:31" never means last week.
  return (d.getFullYear() === today.getFullYear() ? DAY_AND_TIME : YEAR_DAY_AND_TIME).format(d);
}
