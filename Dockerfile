# syntax=docker/dockerfile:1

# cdap-triage container image.
#
#   docker build -t cdap-triage .
#   docker run --env-file .env -p 8080:8080 cdap-triage
#
# Configuration comes only from the environment and, optionally, from a YAML
# file mounted into the container and named by CONFIG_FILE (use an absolute
# path, e.g. CONFIG_FILE=/etc/cdap-triage/config.yaml): see
# docs/configuration.md. No secret is written into the image: pass
# IMAP_PASSWORD, SMTP_PASSWORD and HTTP_PASSWORD at run time.
# IMAP_HOST must be set: the local demo Dovecot of `cdap-triage run` is not in
# this image.

# Node 20.19 or later (package.json "engines"; the lock file's packages need
# it): node:20 tags are past it. Pin a digest (node:20-bookworm-slim@sha256:…)
# for reproducible builds.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- build stage
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false

# Dependencies first: this layer is reused as long as the lockfile is unchanged.
# --ignore-scripts skips the "prepare" script (the build, which needs the
# sources copied below) and msgpackr-extract's install script, which
# package.json's allowScripts disables anyway (its prebuilt binary is an
# optional dependency and is installed all the same).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev

# -------------------------------------------------------------- runtime stage
FROM ${NODE_IMAGE} AS runtime

LABEL org.opencontainers.image.title="cdap-triage" \
      org.opencontainers.image.description="Triage of CDAS partner mail for the CAF d'Ille-et-Vilaine"

# The dashboard must be reachable from outside the container; the service then
# requires HTTP_USER and HTTP_PASSWORD (it refuses to start without them).
# HTTP_PORT is left unset (default 8080) so that a CONFIG_FILE may choose it.
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0

WORKDIR /app
# Owned by root and read-only for the service: only .tmp below is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY config ./config
COPY migrations ./migrations

# The only places the service writes to: shadow-mode replies (replies.outboxDir,
# default .tmp/outbox) and the local SMTP sink (.tmp/sent, used only when
# SMTP_HOST is empty and REPLY_MODE=live). Mount a volume on .tmp/outbox to
# keep shadow replies.
RUN mkdir -p /app/.tmp/outbox /app/.tmp/sent \
 && chown -R 1000:1000 /app/.tmp

# The "node" user (uid 1000) of the official image; numeric so that
# Kubernetes' runAsNonRoot can check it.
USER 1000:1000

EXPOSE 8080

# Liveness: /healthz answers while the process runs. Node itself makes the
# request (the slim image has no curl). It calls 127.0.0.1, which HTTP_HOST=0.0.0.0
# covers; if you bind HTTP_HOST to one address, override this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM drains in-flight jobs for up to shutdownTimeoutMs (10 s): give the
# container a longer stop timeout (docker stop -t 30, stop_grace_period: 30s).
# Through the executable, so the Node flags of its first line (a small young generation) apply.
CMD ["./bin/cdap-triage.js", "run"]
