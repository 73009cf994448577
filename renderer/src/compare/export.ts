/** Saving what the compare view shows: PNG of a chart canvas, CSV of its series (browser download). */
import { downloadBlob } from '../lib/download.js';

export { downloadBlob };

/** Starts a download of `text` (works in Electron and in browser mode). */
export function downloadText(text: string, filename: string, type = 'text/csv;charset=utf-8'): void {
  downloadBlob(new Blob([text], { type }), filename);
}

/** PNG of a canvas as it is drawn now (toBlob copies the bitmap synchronously). */
export function canvasToPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('canvas.toBlob returned no image (canvas has no size?)'))), 'image/png');
  });
}

/** `rollout/episodeReturn` → `rollout-episodeReturn`: safe on every OS. */
export function safeFilename(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'export';
}
