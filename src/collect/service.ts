// Ingest: checks each event (shape, pixel exists and belongs to the organization), enriches it, and
// hands the good ones to the group committer. The caller answers only after the commit, so an
// acknowledged event is durable. An event carrying its own event_id is stored once per pixel within
// 24 hours (dedupe.ts); a copy is acknowledged with the first one's id. Pixels come from the pixels
// service's short-lived cache. An event with both a visitor id and a HEM links that visitor to the
// person before the event is stored (identity/service.ts), so an acknowledged event's link is kept;
// the pages of page views are classified into topics while the batch commits (intent/service.ts).
// Each event is checked against its own pixel: one set to respect privacy signals drops the events
// of a request carrying DNT or GPC, whatever the other events of the batch. Ingest is rate limited
// per client IP (before anything is read) and per pixel (before anything is stored), in events:
// past either bucket the whole request is refused with IngestRateLimitedError and nothing is kept.
import { randomUUID } from 'node:crypto';
import type { GroupCommitter } from '../analytics/group-commit.js';
import type { EventRow } from '../analytics/types.js';
import { ipv6Prefix64, normalizeIp } from '../geo/ip.js';
import type { IpIntel } from '../geo/service.js';
import { IdentityService } from '../identity/service.js';
import type { PixelsService } from '../pixels/service.js';
import type { IpMode } from '../platform/config.js';
import type { RateLimiter } from '../platform/limits.js';
import type { Metrics } from '../platform/metrics.js';
import { loopSlices } from '../platform/turns.js';
import { derivedEventId, type EventDeduper } from './dedupe.js';
import { enrich, type RequestFacts } from './enrich.js';
import { checkEvent, INGEST_LIMITS, pixelIdOf } from './validate.js';

type LivePixel = NonNullable<Awaited<ReturnType<PixelsService['findLive']>>>;

export type EventOutcome = { ok: true; eventId: string } | { ok: false; reason: string; code: 'invalid' | 'unknown_pixel' | 'ignored' };

export const PRIVACY_IGNORED = 'privacy signal (GPC/DNT) honoured for this pixel';

/** A rate limit refused the request; the edge answers 429 `ingest_rate_limited` with Retry-After. */
export class IngestRateLimitedError extends Error {
  constructor(
    readonly limit: 'pixel' | 'source',
    readonly retryAfterSeconds: number,
  ) {
    super(limit === 'pixel' ? 'too many events for this pixel' : 'too many events from this address');
    this.name = 'IngestRateLimitedError';
  }
}

export interface IngestLimits {
  /** Events per pixel. */
  pixel: RateLimiter | null;
  /** Events per client address (IPv6 by /64, which one subscriber usually holds whole). */
  source: RateLimiter | null;
}

export class IngestService {
  constructor(
    private readonly pixels: PixelsService,
    private readonly committer: GroupCommitter,
    private readonly metrics: Metrics,
    private readonly ipMode: IpMode,
    private readonly now: () => number,
    private readonly deduper: EventDeduper,
    private readonly intel: IpIntel | null,
    private readonly identity: IdentityService,
    /** Classifies the pages of page views (intent/service.ts; undefined: nothing to wait for); never throws. */
    private readonly pages: { learnPages(rows: readonly EventRow[]): Promise<void> | undefined } | null = null,
    private readonly limits: IngestLimits = { pixel: null, source: null },
  ) {}

  /**
   * Validates, enriches and commits; resolves when every accepted event is durable. `privacySignal`:
   * the request carried DNT or GPC, so events of pixels that respect them are ignored.
   */
  async ingest(raw: readonly unknown[], facts: RequestFacts, privacySignal = false): Promise<EventOutcome[]> {
    // Every step that has nothing to wait for (no limiter, cached pixels, known pages, no link to
    // learn, no event_id to check) is skipped without a promise: this runs thousands of times a second.
    if (this.limits.source) await this.limit(this.limits.source, 'source', sourceKey(facts.ip), raw.length);
    const known = this.pixelsOf(raw);
    const pixels = known instanceof Map ? known : await known;
    // Checking and enriching is the CPU of a request: it runs in a slice of the loop (platform/turns.ts).
    const { outcomes, rows, clientTs } = await loopSlices.run(() => this.prepare(raw, facts, privacySignal, pixels));
    const perPixel = new Map<string, number>();
    for (const r of rows) perPixel.set(r.pixel_id, (perPixel.get(r.pixel_id) ?? 0) + 1);
    if (this.limits.pixel) for (const [pixelId, n] of perPixel) await this.limit(this.limits.pixel, 'pixel', pixelId, n);
    if (rows.length > 0) {
      for (const [organizationId, links] of linksByOrganization(rows)) await this.identity.learn(organizationId, links);
      // Pages are classified while the batch commits; both are done before the answer.
      const storing = this.deduper.storeOnce(rows, clientTs, (fresh) => this.committer.submit(fresh));
      const learning = this.pages?.learnPages(rows);
      const copies = learning === undefined ? await storing : (await Promise.all([storing, learning]))[0];
      const committed = this.now();
      let bots = 0;
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as EventRow;
        if (copies.has(i)) continue;
        if (r.is_bot) bots += 1;
        this.metrics.queryableLagSeconds.observe((committed - r.received_millis) / 1000);
      }
      if (copies.size > 0) this.metrics.ingestEvents.inc({ outcome: 'duplicate' }, copies.size);
      if (bots > 0) this.metrics.ingestEvents.inc({ outcome: 'bot' }, bots);
      const accepted = rows.length - copies.size - bots;
      if (accepted > 0) this.metrics.ingestEvents.inc({ outcome: 'accepted' }, accepted);
      const marking = this.pixels.markFirstEvents(perPixel.keys(), committed);
      if (marking) await marking;
    }
    const rejected = outcomes.filter((o) => !o.ok && o.code !== 'ignored').length;
    if (rejected > 0) this.metrics.ingestEvents.inc({ outcome: 'rejected' }, rejected);
    return outcomes;
  }

  /**
   * The live pixels the events name: from the pixels service's cache without a promise when all are
   * there (nearly every request), asking it for the others otherwise.
   */
  private pixelsOf(raw: readonly unknown[]): Map<string, LivePixel | null> | Promise<Map<string, LivePixel | null>> {
    const out = new Map<string, LivePixel | null>();
    const missing: string[] = [];
    for (const item of raw) {
      const id = pixelIdOf(item);
      if (id === null || out.has(id) || missing.includes(id)) continue;
      const pixel = this.pixels.peekLive(id);
      if (pixel === undefined) missing.push(id);
      else out.set(id, pixel);
    }
    if (missing.length === 0) return out;
    return (async () => {
      for (const id of missing) out.set(id, await this.pixels.findLive(id));
      return out;
    })();
  }

  /** Checks and enriches each event (synchronous: the CPU of a request). */
  private prepare(
    raw: readonly unknown[],
    facts: RequestFacts,
    privacySignal: boolean,
    pixels: ReadonlyMap<string, LivePixel | null>,
  ): { outcomes: EventOutcome[]; rows: EventRow[]; clientTs: boolean[] } {
    const outcomes: EventOutcome[] = [];
    const rows: EventRow[] = [];
    const clientTs: boolean[] = [];
    for (const item of raw) {
      const checked = checkEvent(item);
      if (!checked.ok) {
        outcomes.push({ ok: false, reason: checked.reason, code: 'invalid' });
        this.metrics.ingestRejected.inc({ reason: 'invalid' });
        continue;
      }
      const e = checked.value;
      const pixel = pixels.get(e.pixelId) ?? null;
      if (!pixel || pixel.organization_id !== e.organizationId) {
        outcomes.push({ ok: false, reason: 'unknown pixel_id for this organization_id', code: 'unknown_pixel' });
        this.metrics.ingestRejected.inc({ reason: 'unknown_pixel' });
        continue;
      }
      if (privacySignal && pixel.respect_privacy === 1) {
        outcomes.push({ ok: false, reason: PRIVACY_IGNORED, code: 'ignored' });
        this.metrics.ingestEvents.inc({ outcome: 'ignored' });
        continue;
      }
      const skewOk = e.clientTs !== null && Math.abs(e.clientTs - facts.receivedMs) <= INGEST_LIMITS.maxClockSkewMs;
      const row = enrich(
        {
          eventId: e.clientEventId === null ? randomUUID() : derivedEventId(pixel.id, e.clientEventId),
          eventType: e.eventType,
          tsMillis: skewOk && e.clientTs !== null ? e.clientTs : facts.receivedMs,
          organizationId: pixel.organization_id,
          projectId: pixel.project_id,
          pixelId: pixel.id,
          visitorId: e.visitorId,
          sessionId: e.sessionId,
          url: e.url,
          referrer: e.referrer,
          title: e.title,
          description: e.description,
          heading: e.heading,
          language: e.language,
          screen: e.screen,
          eventData: e.eventData,
          hemSha256: e.hemSha256,
          userAgent: e.userAgent,
          ip: e.ip,
        },
        facts,
        this.ipMode,
        this.intel,
      );
      rows.push(row);
      clientTs.push(skewOk);
      outcomes.push({ ok: true, eventId: row.event_id });
    }
    return { outcomes, rows, clientTs };
  }

  private async limit(limiter: RateLimiter | null, limit: 'pixel' | 'source', key: string, events: number): Promise<void> {
    if (!limiter || events === 0) return;
    const r = await limiter.take(key, events);
    if (r.allowed) return;
    this.metrics.ingestRateLimited.inc({ limit }, events);
    throw new IngestRateLimitedError(limit, r.retryAfterSeconds);
  }
}

/** The bucket of a client address: IPv4 whole, IPv6 by its /64. */
function sourceKey(ip: string): string {
  const plain = normalizeIp(ip);
  const v6 = ipv6Prefix64(plain);
  return v6 ? `${v6[0].toString(16)}:${v6[1].toString(16)}::/64` : plain;
}

/** The visitor links a batch's events carry, per organization. */
function linksByOrganization(rows: readonly EventRow[]): Map<string, ReturnType<typeof IdentityService.linksOf>> {
  const out = new Map<string, ReturnType<typeof IdentityService.linksOf>>();
  for (const r of rows) {
    if (!r.visitor_id || !r.hem_sha256) continue;
    const [link] = IdentityService.linksOf([r]);
    if (!link) continue;
    const list = out.get(r.organization_id) ?? [];
    list.push(link);
    out.set(r.organization_id, list);
  }
  return out;
}
