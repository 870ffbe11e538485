import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { slicedHttpServer } from '../../src/platform/turns.js';

describe('slicedHttpServer (Fastify serverFactory)', () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  it('answers requests handed over in a later turn, bodies intact, with Fastify timeouts', async () => {
    const app = Fastify({ serverFactory: slicedHttpServer, keepAliveTimeout: 4321, requestTimeout: 9876 });
    // Set while the turn that parsed the request lasts (until the check phase's first immediate).
    let inParseTurn = false;
    let handledInParseTurn: boolean | null = null;
    app.addHook('onRequest', (_req, _reply, done) => {
      handledInParseTurn = inParseTurn;
      done();
    });
    app.post('/echo', async (req) => ({ bytes: JSON.stringify(req.body).length }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    close = () => app.close();
    expect(app.server.keepAliveTimeout).toBe(4321);
    expect(app.server.requestTimeout).toBe(9876);
    // Node emits 'request' as it parses; unsliced, Fastify's hooks would run right there.
    app.server.prependListener('request', () => {
      inParseTurn = true;
      setImmediate(() => {
        inParseTurn = false;
      });
    });
    const body = { text: 'x'.repeat(200_000) };
    const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ bytes: JSON.stringify(body).length });
    expect(handledInParseTurn).toBe(false);
  });
});
