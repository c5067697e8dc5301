// node-http.js: Node's http.createServer, keep-alive (Node's default for HTTP/1.1),
// one process, its one JavaScript thread. Every request gets 200 with "hello\n".
//   node node-http.js [--listen HOST:PORT] [--backlog N]
'use strict';
const http = require('http');

function parseArgs(argv) {
  const args = { host: '127.0.0.1', port: 8080, backlog: 1024 };
  const refuse = (message) => {
    process.stderr.write(`node-http: ${message}\nusage: node node-http.js [--listen HOST:PORT] [--backlog N]\n`);
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
const BODY = Buffer.from('hello\n');

const server = http.createServer({ noDelay: true, keepAliveTimeout: 60000 }, (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
  res.end(BODY);
});

server.on('error', (err) => {
  process.stderr.write(`node-http: cannot listen on ${args.host}:${args.port}: ${err.message}\n`);
  process.exit(1);
});
server.listen({ host: args.host, port: args.port, backlog: args.backlog }, () => {
  process.stdout.write(`listening on ${args.host}:${server.address().port}\n`);
});

const stop = () => process.exit(0);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
