# hyparviewd and the hyparview CLI on node:20-slim. Build: docker build -t hyparview .
# Run one node: docker run --rm -p 4500:4500 -e HYPARVIEW_ADVERTISE=<host>:4500 hyparview
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Dependencies first (cached layer); the build runs below, once the sources are there.
# npm install stands in for npm ci when the lock file lacks the optional platform packages of
# @bufbuild/buf (a lock made where the registry does not serve them makes npm ci refuse it).
RUN npm ci --ignore-scripts || npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY gen ./gen
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN chmod +x dist/src/bin/hyparviewd.js dist/src/bin/hyparview.js \
 && ln -s /app/dist/src/bin/hyparviewd.js /usr/local/bin/hyparviewd \
 && ln -s /app/dist/src/bin/hyparview.js /usr/local/bin/hyparview
USER node
# Overlay (peer) port and client API port. In a container the API must bind beyond loopback to
# be reachable from other containers: set HYPARVIEW_API_LISTEN=0.0.0.0:4501 where that is wanted.
EXPOSE 4500 4501
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s CMD ["hyparview", "health", "--api", "127.0.0.1:4501"]
# SIGTERM (docker stop) makes the node leave the overlay gracefully, then exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["hyparviewd"]
