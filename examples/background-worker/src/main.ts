/**
 * A service with background work:
 *  - POST /signup enqueues a welcome-mail job; the worker runs it in the request's trace
 *    (captureContext / runWithContext), after the request has answered;
 *  - it also spawns a timeout task (setTimeout) that expires the pending signup;
 *  - a setInterval job recomputes `metrics.active` with an await in the middle, racing the handler's
 *    update of the same counter.
 * `node dist/main.js` starts it, sends a few signups, waits for the background work, and stops.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { captureContext, RacewayClient, runWithContext } from '@raceway/runtime';
import type { RacewayContext } from '@raceway/runtime';

const raceway = RacewayClient.fromEnv({ serviceName: 'signup-service' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** @tracked */
const metrics = { active: 0, mailsSent: 0 };
/** @tracked */
const pending = new Map<string, boolean>();

const queue: Array<{ user: string; context: RacewayContext | undefined }> = [];

/** @traced */
async function sendWelcomeMail(user: string): Promise<void> {
  await sleep(2);
  metrics.mailsSent += 1;
  pending.delete(user);
}

/** The worker: picks jobs up later and continues each one in the trace of the request that queued it. */
const worker = setInterval(() => {
  for (const job of queue.splice(0)) void runWithContext(job.context, () => sendWelcomeMail(job.user));
}, 5);

/** A periodic job that recounts the active users across an await: it races the signup handler. */
const recount = setInterval(async () => {
  const before = metrics.active;
  await sleep(15);
  metrics.active = before;
}, 10);

const server = http.createServer(
  raceway.wrapHandler(async (req, res) => {
    const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? 'anonymous';
    pending.set(user, true);
    metrics.active += 1;
    queue.push({ user, context: captureContext() });
    // Spawned timeout task: expires the signup if the mail never went out.
    setTimeout(() => {
      if (pending.has(user)) pending.delete(user);
    }, 30);
    res.end('welcome\n');
  }),
);

server.listen(0, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const user of ['ada', 'grace', 'alan']) {
    await (await fetch(`${base}/signup?user=${user}`, { method: 'POST' })).text();
    await sleep(7);
  }
  await sleep(60);
  clearInterval(worker);
  clearInterval(recount);
  server.close();
  process.stdout.write(`signups done: active ${metrics.active}, mails sent ${metrics.mailsSent}\n`);
  await raceway.shutdown();
});
