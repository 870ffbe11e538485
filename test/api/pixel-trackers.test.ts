// Per-pixel trackers: what a pixel is created with (dashboard and Partner API), changing them, the
// script variant GET /pixels/{id}/p.js serves for them (gzipped when asked), and the size catalog
// the dashboard shows while choosing.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRACKERS, TRACKER_NAMES } from '../../src/pixels/trackers.js';
import { makeTestApp, type TestApp } from '../support/app.js';
import { dash, json, newTenant, partnerHeaders, type Tenant } from '../support/tenant.js';

let t: TestApp;
let a: Tenant;
let projectId: string;

interface PixelOut {
  pixel_id: string;
  trackers: string[];
  respect_privacy_signals: boolean;
  title: string;
}

const D = '/dashboard/api';

async function createPixel(body: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: `${D}/orgs/${a.orgId}/projects/${projectId}/pixels`,
    headers: dash(a.session),
    payload: body,
  });
}

async function patchPixel(pixelId: string, body: Record<string, unknown>) {
  return t.app.inject({ method: 'PATCH', url: `${D}/orgs/${a.orgId}/pixels/${pixelId}`, headers: dash(a.session), payload: body });
}

const script = async (pixelId: string, headers: Record<string, string> = {}) => t.app.inject({ url: `/pixels/${pixelId}/p.js`, headers });

/** Waits out the ingest pixel cache (2 s), after which the script reflects a settings change. */
const pastPixelCache = () => new Promise((resolve) => setTimeout(resolve, 2_100));

beforeAll(async () => {
  t = await makeTestApp();
  a = await newTenant(t);
  projectId = json<{ project: { project_id: string } }>(
    await t.app.inject({ method: 'POST', url: `${D}/orgs/${a.orgId}/projects`, headers: dash(a.session), payload: { name: 'site' } }),
  ).project.project_id;
});

afterAll(async () => {
  await t?.close();
});

describe('pixel trackers', () => {
  it('a new pixel gets the default trackers; its script holds no code for the others', async () => {
    const res = await createPixel({ title: 'lean' });
    expect(res.statusCode).toBe(201);
    const { pixel } = json<{ pixel: PixelOut }>(res);
    expect(pixel.trackers).toEqual([...DEFAULT_TRACKERS]);
    expect(pixel.respect_privacy_signals).toBe(false);
    const body = (await script(pixel.pixel_id)).body;
    expect(body).toContain('"page_view"');
    // Form emails identify visitors, so forms are on by default; clicks and downloads are not.
    expect(body).toContain('"form_submission"');
    expect(body).not.toContain('"file_download"');
    expect(body).not.toContain('element:{');
  });

  it('creates with chosen trackers in canonical order, and refuses unknown ones with a 400 naming them', async () => {
    const res = await createPixel({ title: 'chosen', trackers: ['forms', 'clicks', 'forms'] });
    const { pixel } = json<{ pixel: PixelOut }>(res);
    expect(pixel.trackers).toEqual(['clicks', 'forms']);
    const body = (await script(pixel.pixel_id)).body;
    expect(body).toContain('"form_submission"');
    expect(body).not.toContain('"pushState"');

    const bad = await createPixel({ title: 'bad', trackers: ['clicks', 'keylogger'] });
    expect(bad.statusCode).toBe(400);
    expect(json<{ error: string; details: string }>(bad)).toMatchObject({
      error: 'Invalid parameters.',
      details: expect.stringContaining('keylogger'),
    });
    const notList = await createPixel({ title: 'bad', trackers: 'clicks' });
    expect(notList.statusCode).toBe(400);
  });

  it('PATCH changes trackers, privacy and title; the served script follows once the pixel cache expires', async () => {
    const { pixel } = json<{ pixel: PixelOut }>(await createPixel({ title: 'before' }));
    const first = await script(pixel.pixel_id);

    const res = await patchPixel(pixel.pixel_id, { trackers: TRACKER_NAMES, respect_privacy_signals: true, title: 'after' });
    expect(res.statusCode).toBe(200);
    expect(json<{ pixel: PixelOut }>(res).pixel).toMatchObject({
      title: 'after',
      trackers: [...TRACKER_NAMES],
      respect_privacy_signals: true,
    });
    const listed = json<{ pixels: PixelOut[] }>(
      await t.app.inject({ url: `${D}/orgs/${a.orgId}/projects/${projectId}/pixels`, headers: dash(a.session) }),
    ).pixels.find((p) => p.pixel_id === pixel.pixel_id);
    expect(listed?.trackers).toEqual([...TRACKER_NAMES]);

    await pastPixelCache();
    const second = await script(pixel.pixel_id);
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect(second.body).toContain('"form_submission"');
    expect(second.body).toContain('video_');
    expect(second.body).toContain(`,true]`);

    // Only what is sent changes: an empty body keeps everything, an empty list turns every tracker off.
    expect(json<{ pixel: PixelOut }>(await patchPixel(pixel.pixel_id, {})).pixel.trackers).toEqual([...TRACKER_NAMES]);
    expect(json<{ pixel: PixelOut }>(await patchPixel(pixel.pixel_id, { trackers: [] })).pixel).toMatchObject({
      trackers: [],
      respect_privacy_signals: true,
      title: 'after',
    });
    expect((await patchPixel(pixel.pixel_id, { trackers: ['nope'] })).statusCode).toBe(400);
    expect((await patchPixel(pixel.pixel_id, { title: '   ' })).statusCode).toBe(400);
  });

  it('serves the script gzipped to clients that take gzip, with a validator per encoding', async () => {
    const { pixel } = json<{ pixel: PixelOut }>(await createPixel({ title: 'gz', trackers: TRACKER_NAMES }));
    const plain = await script(pixel.pixel_id);
    const gz = await script(pixel.pixel_id, { 'accept-encoding': 'gzip, deflate, br' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(gunzipSync(gz.rawPayload).toString('utf8')).toBe(plain.body);
    expect(gz.rawPayload.length).toBeLessThan(plain.rawPayload.length / 1.4);
    expect(gz.headers.etag).not.toBe(plain.headers.etag);
    expect((await script(pixel.pixel_id, { 'accept-encoding': 'gzip', 'if-none-match': String(gz.headers.etag) })).statusCode).toBe(304);
    expect((await script(pixel.pixel_id, { 'if-none-match': String(gz.headers.etag) })).statusCode).toBe(200);
    expect((await script(pixel.pixel_id, { 'accept-encoding': 'gzip;q=0, identity' })).headers['content-encoding']).toBeUndefined();
  });

  it('the Partner API creates with trackers and lists them; Delivr’s body alone gets the defaults', async () => {
    const headers = { ...(await partnerHeaders(t, a)), project_id: projectId };
    const create = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/public/core/api/pixel/create', headers, payload });
    const plain = json<{ response: { pixel_id: string } }>(await create({ title: 'documented' })).response.pixel_id;
    const chosen = json<{ response: { pixel_id: string } }>(await create({ title: 'chosen', trackers: ['video'] })).response.pixel_id;
    expect((await create({ title: 'bad', trackers: ['nope'] })).statusCode).toBe(400);
    const get = async (id: string) =>
      json<{ response: { pixel: PixelOut } }>(await t.app.inject({ url: `/public/core/api/pixel/get?pixel_id=${id}`, headers })).response
        .pixel;
    expect((await get(plain)).trackers).toEqual([...DEFAULT_TRACKERS]);
    expect((await get(chosen)).trackers).toEqual(['video']);
  });

  it('lists the trackers with the served size of every combination, for a signed-in person only', async () => {
    const res = await t.app.inject({ url: `${D}/pixel-trackers`, headers: dash(a.session) });
    expect(res.statusCode).toBe(200);
    const catalog = json<{ trackers: { name: string; label: string; events: string[] }[]; sizes: number[] }>(res);
    expect(catalog.trackers.map((x) => x.name)).toEqual([...TRACKER_NAMES]);
    expect(catalog.sizes).toHaveLength(2 ** TRACKER_NAMES.length);
    // sizes[0] is the page-views-only script; it matches what is served, gzipped, within a few bytes.
    const { pixel } = json<{ pixel: PixelOut }>(await createPixel({ title: 'none', trackers: [] }));
    const served = await script(pixel.pixel_id, { 'accept-encoding': 'gzip' });
    expect(Math.abs(served.rawPayload.length - (catalog.sizes[0] ?? 0))).toBeLessThanOrEqual(40);
    expect((await t.app.inject({ url: `${D}/pixel-trackers` })).statusCode).toBe(401);
  });
});
