import { RacewayClient } from '@raceway/runtime';

/** RACEWAY_ENDPOINT and friends come from the environment (`raceway run` sets them). */
export const raceway = RacewayClient.fromEnv({ serviceName: process.env.RACEWAY_SERVICE_NAME ?? 'express-banking' });
