# One image for every service. docker-compose.yml and the Kubernetes manifests (deploy/k8s) give each
# container its command (node dist/<service>/main.js); a plain `docker run` picks it with SERVICE.

# Build stage: the services compiled to plain JavaScript (npm run build), so no TypeScript loader
# runs in production (less memory and a faster start per service).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY lib ./lib
COPY gateway ./gateway
COPY db-proxy ./db-proxy
COPY subgraphs ./subgraphs
COPY platform ./platform
RUN npm run build

# Production dependencies only, installed apart so the run stage gets no npm cache or build tools.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Run stage: production dependencies, the compiled services, the supergraph and the subgraph schemas
# (SUPERGRAPH_CONFIG composes from subgraphs/*/schema.graphql; a new subgraph's comes along), owned
# by root and run as the unprivileged `node` user.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY supergraph.graphql supergraph.yaml ./
COPY subgraphs ./subgraphs
# The embedded database's directory (PGLITE_DATA_DIR) is the only place the services write.
RUN mkdir -p .data && chown node:node .data
# SERVICE is one of: gateway, db-proxy, subgraphs/products, subgraphs/orders, subgraphs/search
ENV SERVICE=gateway
EXPOSE 4000 4001 4002 4003 4010
USER node
# exec: the shell is replaced by node, so SIGTERM reaches node itself and the service drains.
CMD ["sh", "-c", "exec node \"dist/$SERVICE/main.js\""]
