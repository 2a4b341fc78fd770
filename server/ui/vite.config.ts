import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The web UI ships inside the server package (ui-dist), with no external assets.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [preact()],
  build: { outDir: fileURLToPath(new URL('../ui-dist', import.meta.url)), emptyOutDir: true, assetsInlineLimit: 0 },
});
