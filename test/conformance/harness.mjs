// Loaded with `node --import` before a conformance program: records every event in memory and writes
// the wire events to RACEWAY_EVENTS_OUT when the process exits.
import { writeFileSync } from 'node:fs';
import { RacewayClient, replaceDefaultClient } from '@raceway/runtime';

// RACEWAY_ENABLED=false runs the instrumented program with tracking off (it must behave as the plain one).
const client = RacewayClient.inMemory({ serviceName: 'conformance', enabled: process.env.RACEWAY_ENABLED !== 'false' });
replaceDefaultClient(client);
process.on('exit', () => {
  writeFileSync(process.env.RACEWAY_EVENTS_OUT, JSON.stringify(client.memoryEvents()));
});
