// SPDX-License-Identifier: MIT
// A Node.js echo server as a user would write one: one write per data
// event, end on end. usage: node echo.js PORT (127.0.0.1)
const net = require('net');
net.createServer(s => { s.on('data', d => s.write(d)); s.on('end', () => s.end()); s.on('error', () => {}); })
  .listen(+process.argv[2], '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
