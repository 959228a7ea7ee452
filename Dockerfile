# syntax=docker/dockerfile:1
# The service in two stages: `build` compiles with every dependency, then drops the dev ones;
# `runtime` holds only what `node dist/main.js` reads, and runs it as the unprivileged `node` user.
# Both stages are the same Debian image, so native addons built in one load in the other.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# swagger-ui-dist's install step reports to an analytics service unless told not to.
ENV SCARF_ANALYTICS=false
# bufferutil and utf-8-validate (ws's native helpers) ship prebuilt binaries for linux-x64 only;
# elsewhere (arm64) node-gyp-build compiles them at install, which needs a compiler and Python.
RUN case "$(uname -m)" in \
      x86_64) ;; \
      *) apt-get update \
         && apt-get install -y --no-install-recommends python3 make g++ \
         && rm -rf /var/lib/apt/lists/* ;; \
    esac
# The lockfile alone first: the dependency layer is reused until it changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY client ./client
# dist/ (the service) and client/dist/ (the client package, served at /client/), then only the
# production dependencies are kept, native addons included as they were built.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to `node`: the process cannot rewrite its own code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/client/dist ./client/dist
# The demo page; bootstrap.ts serves it from ../public relative to dist/.
COPY public ./public
USER node
EXPOSE 3000
# Liveness only (the process answers); readiness (/health/ready) is for the balancer or orchestrator.
# The slim image has no curl: Node's own fetch asks.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# Node itself is PID 1: it receives SIGTERM directly and drains (SHUTDOWN_GRACE_MS).
CMD ["node", "dist/main.js"]
