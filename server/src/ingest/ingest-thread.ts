import { parentPort, workerData } from 'node:worker_threads';
import { rowsJsonOf, rowsOf } from '../store/ingest-batch.js';
import { packBatchText } from '../store/batch-text.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { WalCheckpointer } from '../store/wal-checkpointer.js';
import { parseBatch } from './parse-batch.js';
import type { ParsedBatch } from './parse-batch.js';
import { failureReply } from './thread-messages.js';
import type { ThreadReply, ThreadRequest, ThreadRole } from './thread-messages.js';

// An ingest thread: the writer (owns the write connection of a database file), a parser (parses and
// validates request bodies) or the checkpointer (copies the WAL into the database file, off the writer's
// path). Requests are answered in order.
if (parentPort) {
  const port = parentPort;
  const role = workerData as ThreadRole;
  const store = role.role === 'writer' ? new SqliteStore(role.file, { checkpointElsewhere: true }) : undefined;
  const checkpoints = role.role === 'checkpointer' ? new WalCheckpointer(role.file) : undefined;

  const writable = (): SqliteStore => {
    if (!store) throw new Error(`the ${role.role} thread has no database to write`);
    return store;
  };

  const handle = (request: Exclude<ThreadRequest, { op: 'close' }>): unknown => {
    switch (request.op) {
      case 'parse': {
        const parsed = parseBatch(request.text);
        if (parsed.kind !== 'batch') return parsed;
        // Compressed here, so the writer thread (the busiest) only writes.
        const packed = parsed.count > 0 ? packBatchText(request.text) : undefined;
        return {
          kind: 'batch',
          count: parsed.count,
          rows: rowsJsonOf(parsed.rows),
          ...(parsed.idPrefix !== undefined ? { idPrefix: parsed.idPrefix } : {}),
          ...(packed ? { packed } : {}),
          rejected: parsed.rejected,
        } satisfies ParsedBatch;
      }
      case 'write':
        return writable().insertBatches(
          request.batches.map((b) => ({ body: b.body, rows: rowsOf(b.rows), idPrefix: b.idPrefix })),
        );
      case 'prune':
        return writable().prune(request.cutoffMs);
      case 'probe':
        return writable().probeWrite();
    }
  };

  port.on('message', (request: ThreadRequest) => {
    if (request.op === 'close') {
      store?.indexPending();
      store?.close();
      checkpoints?.close();
      port.close();
      return;
    }
    let reply: ThreadReply;
    try {
      reply = { id: request.id, ok: true, value: handle(request) };
    } catch (error) {
      reply = failureReply(request.id, error);
    }
    port.postMessage(reply);
  });
}
