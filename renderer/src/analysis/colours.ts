/**
 * Run colours. The palette is colour-blind safe as far as 16 colours can be: it is drawn from Okabe–Ito's and
 * Paul Tol's qualitative sets (each colour brought to mid lightness, so every one has a contrast ratio ≥ 3:1
 * against both a white and a near-black #18181b background, pinned by a test) and ordered greedily: each entry
 * is the candidate farthest (CIELAB ΔE, the worst of normal vision and simulated deuteranopia, protanopia and
 * tritanopia, Machado et al. 2009) from all entries before it. So the first colours are the most distinct, and
 * the runs on screen take them in order (no two near-identical teals for two runs).
 * A run keeps its colour while it stays on screen: pass the previous assignment back.
 */
export const RUN_PALETTE = [
  '#0072B2', '#D55E00', '#7F7F7F', '#6245F5', '#2A9FCB', '#A19455', '#117733', '#EE3377',
  '#CC79A7', '#CC3311', '#B2367D', '#AA4499', '#E77331', '#009E73', '#EE6677', '#C58800',
] as const;

/** 32-bit FNV-1a of the UTF-16 code units. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Preferred palette slot of an id. */
export function colourSlot(id: string, paletteSize = RUN_PALETTE.length): number {
  return hashString(id) % paletteSize;
}

/** The colour of a run on its own (no collision handling): a stable hash of its id into the palette. */
export function runColour(id: string): string {
  return RUN_PALETTE[colourSlot(id)];
}

/**
 * Colours for the runs on screen, distinct while there are no more runs than palette entries.
 * `previous` keeps earlier assignments (pass the last result back so adding a run never recolours another);
 * a new id takes the first free palette entry, the most distinct ones first. Beyond 16 runs colours repeat
 * (by the id's hash, so a repeated colour is at least stable).
 */
export function assignRunColours(ids: readonly string[], previous?: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  const unique = [...new Set(ids)];
  for (const id of unique) {
    const kept = previous?.get(id);
    if (kept !== undefined && !used.has(kept)) {
      out.set(id, kept);
      used.add(kept);
    }
  }
  for (const id of unique) {
    if (out.has(id)) continue;
    const colour = RUN_PALETTE.find((c) => !used.has(c)) ?? runColour(id);
    out.set(id, colour);
    used.add(colour);
  }
  return out;
}

/** `#rrggbb` + alpha → `rgba(r, g, b, a)`. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`withAlpha: expected a #rrggbb colour, got ${hex}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => parseInt(h, 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** WCAG relative luminance of `#rrggbb`. */
export function relativeLuminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`relativeLuminance: expected a #rrggbb colour, got ${hex}`);
  const lin = (h: string) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(m[1]) + 0.7152 * lin(m[2]) + 0.0722 * lin(m[3]);
}

/** WCAG contrast ratio between two `#rrggbb` colours (1–21). */
export function contrastRatio(a: string, b: string): number {
  const [la, lb] = [relativeLuminance(a), relativeLuminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
