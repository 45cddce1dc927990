# syntax=docker/dockerfile:1
# Build stage: full toolchain, compiles TypeScript to dist/.
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json stack.versions.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: slim Node LTS, production dependencies only, non-root, okrad as the entrypoint.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY crds ./crds
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/src/cli/okrad.js"]
