# Two stages: "build" has the dev tools (used by the demo profile), the final image only what the worker needs.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# Outside a container the servers listen on 127.0.0.1; inside one, loopback is unreachable for probes and
# Prometheus, and only published ports reach the host, so the image listens on the container's interfaces.
ENV WORKER_METRICS_HOST=0.0.0.0 DASHBOARD_HOST=0.0.0.0 DASHBOARD_METRICS_HOST=0.0.0.0
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
# The worker requires the client package (the job contract) through the workspace link to its build.
COPY --from=build /app/packages/client/dist packages/client/dist
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
USER node
CMD ["node", "dist/workers/email-worker.js"]
