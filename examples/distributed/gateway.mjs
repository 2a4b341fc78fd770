// gateway: takes orders. Calls inventory with fetch (headers injected automatically) and payment with
// headers it asks for explicitly (propagationHeaders), as a client without automatic injection would.
import { reply, startService } from './service.mjs';

const inventory = `http://127.0.0.1:${process.env.INVENTORY_PORT}`;
const payment = `http://127.0.0.1:${process.env.PAYMENT_PORT}`;

async function order(raceway) {
  const reserved = await (await fetch(`${inventory}/reserve`, { method: 'POST' })).json();
  const charged = await (await fetch(`${payment}/charge`, { method: 'POST', headers: raceway.propagationHeaders() })).json();
  return { reserved, charged };
}

startService('gateway', Number(process.env.GATEWAY_PORT), async (raceway, req, res) => {
  if (req.url === '/order') return reply(res, 200, await order(raceway));
  // Two orders one after the other inside one request: ordered by propagation, never a race.
  if (req.url === '/order-twice') return reply(res, 200, [await order(raceway), await order(raceway)]);
  reply(res, 404, { error: 'not found' });
});
