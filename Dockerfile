# syntax=docker/dockerfile:1
#
# stoa container image: a GOPROXY server that needs neither go nor git at run time.
#
#   docker build -t ghcr.io/stoa-proxy/stoa:0.1.0 .
#   docker run --rm -p 3000:3000 -v stoa-data:/data ghcr.io/stoa-proxy/stoa:0.1.0
#
# Two stages: `build` compiles TypeScript with the dev dependencies; the runtime stage holds only
# the production dependencies and the compiled `dist/`. test/deploy/dockerfile.test.ts checks the
# rules below and replays these steps without Docker.
# For reproducible release builds, pin NODE_IMAGE by digest (node:20-bookworm-slim@sha256:...).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency install scripts: the TypeScript build needs none (npm 11 blocks them too).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY storage ./storage
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The disk store lives on a volume owned by the unprivileged user (uid 1000 is `node` in the
# official image). /tmp is where git packs are spooled during a fill.
RUN mkdir -p /data && chown 1000:1000 /data
ENV STOA_PORT=3000 \
    STOA_STORAGE_TYPE=disk \
    STOA_STORAGE_ROOT=/data \
    STOA_TEMP_DIR=/tmp
VOLUME ["/data"]
EXPOSE 3000
# Numeric uid:gid so Kubernetes can verify runAsNonRoot without resolving a user name.
USER 1000:1000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.STOA_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (graceful drain, exit 0).
CMD ["node", "dist/src/main.js"]
