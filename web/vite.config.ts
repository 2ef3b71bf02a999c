import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API of a running casedesk (make run), so the
// session cookie and live updates work as they do when embedded.
const api = process.env.CASEDESK_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    // web/dist/app is what web/embed.go embeds; web/dist itself is kept.
    outDir: "dist/app",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      "/v1": { target: api, changeOrigin: false },
      "/openapi.json": { target: api },
    },
  },
});
