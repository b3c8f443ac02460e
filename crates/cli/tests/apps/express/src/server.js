// A tiny Express service: /health answers with the versions it runs.
const express = require('express');

const app = express();
app.get('/health', (req, res) => {
  res.type('text/plain').send(`ok express=${require('express/package.json').version} uid=${process.getuid()}\n`);
});
app.listen(Number(process.env.PORT || 8080), '127.0.0.1');
