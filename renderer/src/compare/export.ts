/** Saving what the compare view shows: PNG of a chart canvas, CSV of its series (browser download). */

/** Starts a download of `blob` through a temporary Blob URL (works in Electron and in browser mode). */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke on the next task: the click has handed the URL to the download by then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

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
