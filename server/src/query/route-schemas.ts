/**
 * What the query routes accept, declared for Fastify to check before a handler runs (a request outside
 * them is answered RW_BAD_QUERY by the app's error handler). Query strings arrive as text; Fastify's
 * validator converts numbers.
 */
const label = { type: 'string', minLength: 1, maxLength: 256 };

export const tracesQuery = {
  querystring: {
    type: 'object',
    properties: {
      page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
      page_size: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
      service: label,
    },
  },
} as const;

export const traceParams = {
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } },
} as const;

export const raceParams = {
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } },
} as const;

export const serviceParams = {
  params: { type: 'object', required: ['name'], properties: { name: label } },
} as const;
