import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The renderer is a static bundle served by Electron's app:// scheme or by browser mode's HTTP server;
// relative asset paths (`base: './'`) make it work under both.
export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Chart.js + zoom + zod make one ~400 kB chunk; fine for a local app.
    chunkSizeWarningLimit: 1024,
  },
  server: { host: '127.0.0.1', strictPort: false },
});
