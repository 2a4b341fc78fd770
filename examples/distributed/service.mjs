// Shared bits of the three services: a client per service, a JSON reply, a clean shutdown.
import http from 'node:http';
import { RacewayClient } from '@raceway/runtime';

export function startService(name, port, handler) {
  const raceway = RacewayClient.fromEnv({ serviceName: name });
  const server = http.createServer(raceway.wrapHandler((req, res) => handler(raceway, req, res)));
  server.listen(port, '127.0.0.1', () => process.stdout.write(`${name} ready on ${port}\n`));
  const stop = async () => {
    server.close();
    server.closeAllConnections();
    await raceway.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return raceway;
}

export function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
