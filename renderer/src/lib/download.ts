/** Saves a Blob as a file download (a hidden link clicked once). */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The click hands the URL to the download; revoke it later (large media can take a moment to start).
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
