import { parentPort, workerData } from 'node:worker_threads';
import type { ThreadReply, ThreadRequest, ThreadRole } from '../ingest/thread-messages.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { StoreAnalysis } from './store-analysis.js';

// The analyser thread: reads the database file through a connection of its own and keeps the analysis
// up to date there, so a long analysis never holds up the HTTP thread (ingest and /health answer meanwhile).
if (parentPort) {
  const port = parentPort;
  const role = workerData as Extract<ThreadRole, { role: 'analyser' }>;
  const store = new SqliteStore(role.file);
  const analysis = new StoreAnalysis(store);
  port.on('message', (request: ThreadRequest) => {
    if (request.op === 'close') {
      store.close();
      port.close();
      return;
    }
    let reply: ThreadReply;
    try {
      if (request.op !== 'analyse') throw new Error(`the analyser thread does not do "${request.op}"`);
      reply = { id: request.id, ok: true, value: analysis.result() };
    } catch (error) {
      reply = { id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
}
