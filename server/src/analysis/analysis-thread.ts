import { parentPort, workerData } from 'node:worker_threads';
import { failureReply } from '../ingest/thread-messages.js';
import type { ThreadReply, ThreadRequest, ThreadRole } from '../ingest/thread-messages.js';
import { openStoreIn } from '../store/open-store.js';
import { StoreAnalysis } from './store-analysis.js';

// The analyser thread: reads the database file through a connection of its own and keeps the analysis
// up to date there, so a long analysis never holds up the HTTP thread (ingest and /health answer meanwhile).
if (parentPort) {
  const port = parentPort;
  const role = workerData as Extract<ThreadRole, { role: 'analyser' }>;
  const store = openStoreIn(role.store);
  const analysis = new StoreAnalysis(store);
  // One request at a time, in order (an analysis reading from PostgreSQL waits between pages).
  let queue = Promise.resolve();
  port.on('message', (request: ThreadRequest) => {
    queue = queue.then(async () => {
      if (request.op === 'close') {
        await store.close();
        port.close();
        return;
      }
      let reply: ThreadReply;
      try {
        if (request.op !== 'analyse') throw new Error(`the analyser thread does not do "${request.op}"`);
        reply = { id: request.id, ok: true, value: await analysis.result() };
      } catch (error) {
        reply = failureReply(request.id, error);
      }
      port.postMessage(reply);
    });
  });
}
