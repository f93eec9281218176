# kposture's container image: built with Node on Debian, run on Google's distroless Node runtime
# (no shell, no package manager, uid 65532). Both bases are pinned by digest; to move to newer
# ones, resolve the tags' current digests (e.g. `crane digest gcr.io/distroless/nodejs24-debian12:nonroot`)
# and replace both lines. deploy/ runs it as a CronJob (docs/in-cluster.md).
#
#   docker build -t registry.example/kposture:0.1.0 .

FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src src
COPY checks checks
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

FROM gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist/src dist/src
COPY --from=build /src/dist/checks dist/checks
COPY bin bin
COPY catalog catalog
COPY schemas schemas
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/kposture.js"]
CMD ["audit"]
