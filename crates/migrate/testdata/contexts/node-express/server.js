const http = require("http");
const ms = require("ms");

http
  .createServer((request, response) => {
    response.setHeader("Content-Type", "application/json");
    response.end(JSON.stringify({ path: request.url, day: ms("1d"), env: process.env.NODE_ENV || null }));
  })
  .listen(3000, "0.0.0.0");
