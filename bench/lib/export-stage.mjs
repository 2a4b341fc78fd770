// Loaded with `--import` into the instrumented service by bench/http-stages.mjs: stops the SDK's export
// at the stage named by RACEWAY_BENCH_STAGE, so the benchmark can say what each stage costs the app.
//   recorded: records are queued and taken off the queue as usual, but never encoded or sent;
//   encoded:  batches are encoded as for `raceway serve`, and acknowledged without leaving the process
//             (or reaching the sender thread).
// The SDK's classes are reached by file (its package exports only its public API), so this follows the
// layout of runtime/dist.
import { COMPACT_RUNS_VERSION } from '@raceway/protocol';

const dist = new URL('.', import.meta.resolve('@raceway/runtime'));
const { BatchEncoder } = await import(new URL('export/batch-body.js', dist).href);
const { HttpTransport } = await import(new URL('export/http-transport.js', dist).href);
const { ThreadTransport } = await import(new URL('export/thread-transport.js', dist).href);

const stage = process.env.RACEWAY_BENCH_STAGE;
if (stage === 'recorded') {
  BatchEncoder.prototype.encode = () => ({ bodies: [], unencodable: 0 });
} else if (stage === 'encoded') {
  // The acknowledgement `raceway serve` gives, so the exporter goes on encoding compact version 2.
  const ok = { kind: 'ok', compact: COMPACT_RUNS_VERSION };
  HttpTransport.prototype.send = () => Promise.resolve(ok);
  ThreadTransport.prototype.send = () => Promise.resolve(ok);
} else if (stage !== undefined && stage !== 'sent') {
  throw new Error(`RACEWAY_BENCH_STAGE: expected recorded, encoded or sent, got ${stage}`);
}
