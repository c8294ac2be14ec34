# syntax=docker/dockerfile:1
# tencent-chat-exporter: Prometheus exporter sidecar for Tencent Cloud Chat alarm callbacks.
#   docker build -t tencent-chat-exporter .
#   docker run --rm -p 10240:10240 -e SDKAPPIDS=1400000001 tencent-chat-exporter
# Configuration comes from the environment at run time (see docs/configuration.md); nothing secret is baked in:
# pass CALLBACK_TOKEN at run time, or better mount the token and set CALLBACK_TOKEN_FILE.
# scripts/build-image.sh builds this file as it is (podman, no registry), and test/image runs the image.

# Build stage: compile TypeScript with the dev dependencies, none of which reach the final image.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled code only.
FROM node:24-slim
LABEL org.opencontainers.image.title="tencent-chat-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Tencent Cloud Chat (Tencent IM) webhook alarms: API rate-limit and group-quota callbacks as metrics" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script at run time, and none gets to run one.
# npm's cache and its debug logs (/root/.npm) stay out of the image.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force && rm -rf /root/.npm
COPY --from=build /app/dist/src ./dist/src
# Files stay owned by root and read-only to the process; uid/gid 65534 is "nobody" in Debian images.
USER 65534:65534
EXPOSE 10240
# Docker and Compose use this; Kubernetes ignores it and uses the probes on /-/healthy and /-/ready.
# The slim image has no curl, so Node itself asks (src/healthcheck.ts: over HTTPS when WEB_CONFIG_FILE
# puts TLS on the callback listener).
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "dist/src/healthcheck.js"]
# Exec form: node is PID 1 and receives SIGTERM itself, and main.ts shuts down gracefully on it.
CMD ["node", "dist/src/main.js"]
