// Predicted only, between later units: three staggered requests on one counter; none overlap by themselves.
import { RacewayClient } from '@raceway/runtime';

const raceway = RacewayClient.fromEnv({ serviceName: 'shop' });
/** @tracked */
const stock = { widgets: 10 };

/** @traced */
async function order(n: number): Promise<void> {
  const left = stock.widgets;
  await new Promise((resolve) => setTimeout(resolve, 2));
  stock.widgets = left - n;
}

const orders: Array<Promise<void>> = [];
for (const n of [1, 2, 3]) {
  orders.push(raceway.startTrace(`order-${n}`, () => order(n)));
  await new Promise((resolve) => setTimeout(resolve, 25));
}
await Promise.all(orders);
console.log('widgets', stock.widgets);
await raceway.shutdown();
