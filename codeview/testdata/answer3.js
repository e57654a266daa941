// Graceful: unref idle sockets
// Runs as on Node 18.20.8: server.close() only stops accepting; idle
// keep-alive connections stay open and may serve more requests.
'use strict';

const http = require('http');

const server = http.createServer((req, res) => {
  // A request is in flight: keep the process alive until it is answered.
  req.connection.ref();
  const path = req.url.split('?')[0];
  if (path.startsWith('/end')) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    // Answered: the socket may idle without holding the process.
    res.end('bye', () => req.connection.unref());
    // Stop accepting connections.
    server.close();
  } else if (path === '/slow') {
    setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      // Answered: the socket may idle without holding the process.
      res.end('late \'n\' slow', () => req.connection.unref());
    }, 1500);
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
