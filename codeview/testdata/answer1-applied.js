// Answer 1 in the question's program
// Runs as on Node 26.12.1: server.close() also closes idle keep-alive
// connections (Node >= 19).
'use strict';

const http = require('http');

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('hi');
    req.connection.destroy();
    // Stop accepting connections.
    server.close();
  }
});

// Extra time the socket waits beyond keepAliveTimeout (the header still says keepAliveTimeout).
server.keepAliveTimeoutBuffer = 0;

server.listen(1088, '127.0.0.1', () => {
  console.error(`listening on 127.0.0.1:${server.address().port}`);
});
