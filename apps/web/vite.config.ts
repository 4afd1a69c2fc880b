import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

/** The API the dev server hands requests on to (`pnpm start` serves it on port 8000). */
const api = process.env.UXMATE_API ?? 'http://127.0.0.1:8000'

// The app talks to its own origin: served by the API server in production (`pnpm start`), and
// by Vite with these paths handed on to the API in development (`pnpm dev`).
const apiPaths = ['/sessions', '/chat', '/agents', '/usage', '/health', '/ready']

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: Object.fromEntries(apiPaths.map((path) => [path, { target: api, changeOrigin: false }])),
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
})
