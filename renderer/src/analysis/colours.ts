/**
 * Stable run colours. A run's preferred colour is a hash of its id into the palette, so it keeps that
 * colour across sessions and selections; when two runs on screen would share a slot, the later one takes
 * the next free slot (and keeps it for as long as the caller passes the previous assignment back).
 *
 * The palette is OKLCH lightness ≈ 0.6 at twelve hues, plus four darker variants (L ≈ 0.54): every colour has
 * a contrast ratio ≥ 3:1 against both a white and a near-black (#18181b) background (pinned by a test).
 */
export const RUN_PALETTE = [
  '#cd4f61', '#cb5a1a', '#ab7306', '#8c8309', '#529420', '#06976d',
  '#0f9293', '#138db1', '#3280dd', '#796eda', '#a35ec1', '#c05296',
  '#b0416b', '#588021', '#0871c1', '#9750a7',
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

/** The colour of a run on its own (no collision handling). */
export function runColour(id: string): string {
  return RUN_PALETTE[colourSlot(id)];
}

/**
 * Colours for the runs on screen, distinct while there are no more runs than palette entries.
 * `previous` keeps earlier assignments (pass the last result back so adding a run never recolours another);
 * a new id takes its hash slot, or the next free one. Beyond 16 runs colours repeat.
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
    const start = colourSlot(id);
    let colour: string = RUN_PALETTE[start];
    for (let k = 0; k < RUN_PALETTE.length; k++) {
      const candidate = RUN_PALETTE[(start + k) % RUN_PALETTE.length];
      if (!used.has(candidate)) {
        colour = candidate;
        break;
      }
    }
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
