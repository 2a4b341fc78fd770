import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
createApp().listen(port, () => {
  process.stdout.write(`express-banking listening on http://127.0.0.1:${port}\n`);
});
