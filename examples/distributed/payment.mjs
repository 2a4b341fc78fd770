// payment: charges an order.
import { reply, sleep, startService } from './service.mjs';

startService('payment', Number(process.env.PAYMENT_PORT), async (raceway, req, res) => {
  if (req.url !== '/charge') return reply(res, 404, { error: 'not found' });
  const receipt = await raceway.trackFunction('charge', ['sku-1'], async () => {
    await sleep(2);
    return { charged: true };
  });
  reply(res, 200, receipt);
});
