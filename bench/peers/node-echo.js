// node-echo.js: the line echo server on Node's net.createServer, one process, its
// one JavaScript thread. Every complete line received is written back; a partial
// line waits for its '\n'. When a write does not go out at once, reading pauses
// until the socket drains.
//   node node-echo.js [--listen HOST:PORT] [--backlog N]
'use strict';
const net = require('net');

function parseArgs(argv) {
  const args = { host: '127.0.0.1', port: 7000, backlog: 1024 };
  const refuse = (message) => {
    process.stderr.write(`node-echo: ${message}\nusage: node node-echo.js [--listen HOST:PORT] [--backlog N]\n`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) refuse(`${flag} needs a value`);
    if (flag === '--listen') {
      const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(value);
      if (!m || Number(m[2]) > 65535) refuse(`--listen must be HOST:PORT, an IPv4 address (got '${value}')`);
      args.host = m[1];
      args.port = Number(m[2]);
    } else if (flag === '--backlog') {
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
        refuse(`--backlog must be a whole number from 1 to 65535 (got '${value}')`);
      }
      args.backlog = Number(value);
    } else {
      refuse(`unknown flag '${flag}'`);
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const NEWLINE = 10;
const MAX_LINE = 4 * 1024 * 1024;

const server = net.createServer({ noDelay: true }, (socket) => {
  let pending = null; // a partial line, waiting for its '\n'
  socket.setNoDelay(true);
  socket.on('data', (chunk) => {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      pending = pending ? Buffer.concat([pending, chunk]) : chunk;
      if (pending.length > MAX_LINE) socket.destroy();
      return;
    }
    let lines = chunk.subarray(0, last + 1);
    if (pending) {
      lines = Buffer.concat([pending, lines]);
      pending = null;
    }
    if (last + 1 < chunk.length) pending = chunk.subarray(last + 1);
    if (!socket.write(lines)) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  socket.on('error', () => socket.destroy());
});

server.on('error', (err) => {
  process.stderr.write(`node-echo: cannot listen on ${args.host}:${args.port}: ${err.message}\n`);
  process.exit(1);
});
server.listen({ host: args.host, port: args.port, backlog: args.backlog }, () => {
  process.stdout.write(`listening on ${args.host}:${server.address().port}\n`);
});

const stop = () => process.exit(0);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
