# One image for every service; docker-compose picks the service with SERVICE (its folder's main.ts).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# SERVICE is one of: gateway, db-proxy, subgraphs/products, subgraphs/orders, subgraphs/search
ENV SERVICE=gateway
USER node
CMD ["sh", "-c", "exec node --import tsx \"$SERVICE/main.ts\""]
