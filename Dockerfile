# syntax=docker/dockerfile:1
# The UXMate Sessions server: build with pnpm, ship only the bundle and production dependencies.

FROM node:24-slim AS build
# better-sqlite3 compiles its native module when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/* \
  && npm install -g pnpm@10.34.9
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile \
  && pnpm --filter @uxmate/server build \
  && pnpm --filter @uxmate/web build \
  && pnpm --filter @uxmate/server deploy --legacy --prod /app \
  && cp -r apps/web/dist /app/web

FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The process settings (memory: docs/performance.md, "Memory") live in start.sh, as for
# `pnpm start` and the bench; exec'd there, so the server still receives the stop signal itself.
CMD ["sh", "start.sh"]
