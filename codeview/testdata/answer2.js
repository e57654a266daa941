// Idle timeout, then /end
// Runs as on Node 20.20.2: server.close() also closes idle keep-alive
// connections (Node >= 19).
'use strict';

const http = require('http');

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/end') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('Closedown');
    // Stop accepting connections.
    server.close();
  } else {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('Hello World!');
  }
});

server.on('connection', (socket) => {
  // Destroy a socket after 4000 ms without traffic. Node replaces this
  // timeout with keepAliveTimeout once a response completes.
  socket.setTimeout(4000);
});

server.listen(1088, '127.0.0.1', () => {
  console.error(`listening on 127.0.0.1:${server.address().port}`);
});
