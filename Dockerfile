# syntax=docker/dockerfile:1
# okra's image: okrad (the controller manager) as the entrypoint, with the okra and okractl CLIs inside.
# test/dockerfile.test.ts runs this file's build-stage commands and starts okrad from the pruned
# install the runtime stage copies, since Docker itself cannot run where the tests run.

# Build stage: full toolchain, compiles TypeScript to dist/, then drops dev dependencies.
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json stack.versions.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts && chmod 0755 dist/src/cli/okrad.js dist/src/cli/okra.js dist/src/cli/okractl.js

# Runtime stage: slim Node LTS, production dependencies only, non-root, read-only friendly.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY crds ./crds
RUN ln -s /app/dist/src/cli/okra.js /usr/local/bin/okra \
 && ln -s /app/dist/src/cli/okractl.js /usr/local/bin/okractl \
 && ln -s /app/dist/src/cli/okractl.js /usr/local/bin/kubectl-okra \
 && ln -s /app/dist/src/cli/okrad.js /usr/local/bin/okrad
# 65532 is the conventional "nonroot" uid; the Helm chart runs the pod as this user with a read-only root.
USER 65532:65532
# A small young generation keeps okrad's RSS low with hundreds of Cells (see docs/benchmark.md).
ENTRYPOINT ["node", "--max-semi-space-size=2", "/app/dist/src/cli/okrad.js"]
