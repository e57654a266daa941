// Keep-Alive Playground demo server
// Runs as on Node 20.20.2: server.close() also closes idle keep-alive
// connections (Node >= 19).
'use strict';

const http = require('http');

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/x') {
    res.writeHead(503, { 'Content-Type': 'text/plain', 'Connection': 'close' });
    res.end('a\nb');
    req.connection.destroy();
  } else if (path === '/q') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Connection': 'close' });
    res.end('');
    process.exit();
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Connection': 'close' });
    res.end('Not Found');
  }
});

// How long an idle keep-alive connection may wait for its next request.
server.keepAliveTimeout = 0;
// Time allowed to receive a request's headers (checked every 30 s).
server.headersTimeout = 2000;
// Time allowed to receive a whole request (checked every 30 s).
server.requestTimeout = 5000;
// Requests one connection may carry before Node answers Connection: close.
server.maxRequestsPerSocket = 3;

server.listen(1088, '127.0.0.1', () => {
  console.error(`listening on 127.0.0.1:${server.address().port}`);
});
