// Predicted only: a request reads the limit twice around an await; the reload comes later.
import { RacewayClient } from '@raceway/runtime';

const raceway = RacewayClient.fromEnv({ serviceName: 'svc' });
/** @tracked */
const settings = { limit: 10 };

/** @traced */
async function handle(): Promise<boolean> {
  const checked = settings.limit;
  await new Promise((resolve) => setTimeout(resolve, 3));
  return settings.limit === checked;
}

/** @traced */
async function reload(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  settings.limit = 20;
}

const request = raceway.startTrace('request', () => handle());
await new Promise((resolve) => setTimeout(resolve, 30));
await Promise.all([request, raceway.startTrace('reload', () => reload())]);
console.log('limit', settings.limit);
await raceway.shutdown();
