// Readiness 503, then close
// Runs as on Node 26.12.1: server.close() also closes idle keep-alive
// connections (Node >= 19).
'use strict';

const http = require('http');

// The readiness flag: once it is false, the readiness check answers
// 503, so that the load balancer stops sending new requests here.
let ready = true;
// The drain period: how long the readiness check answers 503 before
// the shutdown; longer than the balancer takes to notice.
const drainMs = 400;

const server = http.createServer((req, res) => {
  // A request is in flight: keep the process alive until it is answered.
  req.connection.ref();
  const path = req.url.split('?')[0];
  if (path === '/ready') {
    // The readiness check: 200 while ready, 503 once draining.
    res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' });
    // Answered: the socket may idle without holding the process.
    res.end(ready ? 'ok' : 'draining', () => req.connection.unref());
  } else if (path === '/deploy') {
    setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      // Answered: the socket may idle without holding the process.
      res.end('bye', () => req.connection.unref());
      // Drain: the readiness check answers 503 from now on, while the
      // server still serves what arrives until the balancer notices.
      ready = false;
      setTimeout(() => {
        server.closeIdleConnections();
        // Stop accepting connections.
        server.close();
      }, drainMs);
    }, 10);
  } else if (path === '/flip') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    // Answered: the socket may idle without holding the process.
    res.end('', () => req.connection.unref());
    // Drain: the readiness check answers 503 from now on, while the
    // server still serves what arrives until the balancer notices.
    ready = false;
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    // Answered: the socket may idle without holding the process.
    res.end('Not Found', () => req.connection.unref());
  }
});

server.on('connection', (socket) => {
  // An idle socket alone must not keep the process alive.
  socket.unref();
});

process.on('beforeExit', () => {
  // Nothing keeps the loop busy any more: last chance to clean up.
  console.error('beforeExit: shutting down');
});

server.listen(1088, '127.0.0.1', () => {
  console.error(`listening on 127.0.0.1:${server.address().port}`);
});
