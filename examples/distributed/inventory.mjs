// inventory: reserves stock. The stock row lives in a database; the service tracks it by hand.
import { reply, sleep, startService } from './service.mjs';

const stock = { 'sku-1': 5 };

startService('inventory', Number(process.env.INVENTORY_PORT), async (raceway, req, res) => {
  if (req.url !== '/reserve') return reply(res, 404, { error: 'not found' });
  const current = stock['sku-1'];
  raceway.trackStateChange('shared:db.stock.sku-1', current, current, 'Read', 'inventory.mjs:8:19');
  await sleep(20); // SELECT ... then the UPDATE after a round trip: not atomic
  stock['sku-1'] = current - 1;
  raceway.trackStateChange('shared:db.stock.sku-1', current, current - 1, 'Write', 'inventory.mjs:11:3');
  reply(res, 200, { reserved: 'sku-1', left: stock['sku-1'] });
});
