// Closing the server does not wait for connections that never carried a request. Clients open them
// ahead of need (browsers preconnect; undici connects for a queued request that then leaves on
// another socket), and Node counts them as waiting for a first request rather than idle, so the
// server's close used to wait until the client gave up: a test's teardown took a minute, and a
// SIGTERM ran into its grace period's hard stop.

import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { makeTestApp } from '../support/app.js';

const opened = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });

describe('closing the server', () => {
  it('ends a connection that never sent a request at once, and a kept-alive one after its answer', async () => {
    const t = await makeTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as AddressInfo).port;
    const unused = await opened(port);
    // A connection that carried one request and stays open for the next (keep-alive).
    const used = await opened(port);
    const answered = new Promise<string>((resolve) => used.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    used.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await answered).toMatch(/^HTTP\/1\.1 200/);
    const ended = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
    unused.on('error', () => undefined);
    used.on('error', () => undefined);
    const started = Date.now();
    await t.close();
    await Promise.all([ended(unused), ended(used)]);
    // Before, close() waited for the unused connection until the client closed it (here: never).
    expect(Date.now() - started).toBeLessThan(5000);
  }, 20_000);
});
