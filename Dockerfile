# syntax=docker/dockerfile:1
# DevOps Agent: the app on Node 24, as the non-root `node` user, with tini as PID 1.
#   docker build -t devops-agent .
#   docker run -p 3000:3000 --env-file prod.env devops-agent      (README: Run with Docker)
# test/integration/deploy-dockerfile.test.ts parses this file and runs its steps on a copy of the
# repository (no registry is reachable from CI): keep every step something that test knows.

# The base is pinned by tag to the Node version of the `node` dev dependency, which the tests run on.
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. None of them has an install script; the dev dependencies that do
# (swc, esbuild, and `node`, which gives npm scripts Node 24 on older machines) are left out: the
# base image's own Node 24 runs the app.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24.21.0-bookworm-slim
# tini is PID 1: it passes SIGTERM and SIGINT on to node and reaps orphans. Node as PID 1 would
# ignore a SIGTERM that arrives before the app has set its handlers (while it migrates and syncs).
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
# The code belongs to root and is read-only for the app's user.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
# Embedded PostgreSQL's data (only without DATABASE_URL), writable by the app's user.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
EXPOSE 3000
# Liveness: /healthz answers while the process serves (not /readyz: a database outage is waited
# out, not fixed by a restart). Slim images have no curl: a few lines of node fetch it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 CMD ["node", "bin/healthcheck.mjs"]
ENTRYPOINT ["tini", "--"]
# Checks the Node version, then runs src/main.ts (exec form: no shell between tini and node).
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=1024", "bin/devops-agent.mjs"]
