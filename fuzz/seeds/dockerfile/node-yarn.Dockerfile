FROM node:20-bookworm AS build
WORKDIR /web
COPY package.json yarn.lock .yarnrc.yml ./
RUN corepack enable && yarn install --immutable
COPY . .
RUN yarn build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /web
COPY --from=build /web/dist ./dist
COPY --from=build /web/node_modules ./node_modules
USER node
EXPOSE 80
CMD ["node", "dist/main.js"]
