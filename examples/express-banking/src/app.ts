import express from 'express';
import type { Request, Response } from 'express';
import { accounts, transfer, transferSafely } from './bank.js';
import { raceway } from './raceway.js';

interface TransferBody {
  from?: string;
  to?: string;
  amount?: number;
}

function parse(req: Request, res: Response): Required<TransferBody> | undefined {
  const { from, to, amount } = (req.body ?? {}) as TransferBody;
  if (!from || !to || !(from in accounts) || !(to in accounts) || typeof amount !== 'number' || amount <= 0) {
    res.status(400).json({ error: 'expected {"from", "to", "amount"} with known accounts and a positive amount' });
    return undefined;
  }
  return { from, to, amount };
}

export function createApp(): express.Express {
  const app = express();
  app.use(raceway.middleware());
  app.use(express.json());
  app.post('/transfer', async (req, res) => {
    const body = parse(req, res);
    if (!body) return;
    await transfer(body.from, body.to, body.amount);
    res.json({ ok: true });
  });
  app.post('/transfer-safe', async (req, res) => {
    const body = parse(req, res);
    if (!body) return;
    await transferSafely(body.from, body.to, body.amount);
    res.json({ ok: true });
  });
  app.get('/balances', (_req, res) => {
    res.json(Object.fromEntries(Object.entries(accounts).map(([name, a]) => [name, a.balance])));
  });
  app.use(raceway.errorHandler());
  app.use((error: Error, _req: Request, res: Response, _next: express.NextFunction) => {
    res.status(500).json({ error: error.message });
  });
  return app;
}
