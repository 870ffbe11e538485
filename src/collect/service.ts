// Ingest: checks each event (shape, pixel exists and belongs to the organization), enriches it, and
// hands the good ones to the group committer. The caller answers only after the commit, so an
// acknowledged event is durable. An event carrying its own event_id is stored once per pixel within
// 24 hours (dedupe.ts); a copy is acknowledged with the first one's id. Pixels come from the pixels
// service's short-lived cache. An event with both a visitor id and a HEM links that visitor to the
// person before the event is stored (identity/service.ts), so an acknowledged event's link is kept;
// the pages of page views are classified into topics while the batch commits (intent/service.ts).
import { randomUUID } from 'node:crypto';
import type { GroupCommitter } from '../analytics/group-commit.js';
import type { EventRow } from '../analytics/types.js';
import type { IpIntel } from '../geo/service.js';
import { IdentityService } from '../identity/service.js';
import type { PixelsService } from '../pixels/service.js';
import type { IpMode } from '../platform/config.js';
import type { Metrics } from '../platform/metrics.js';
import { derivedEventId, type EventDeduper } from './dedupe.js';
import { enrich, type RequestFacts } from './enrich.js';
import { checkEvent, INGEST_LIMITS } from './validate.js';

export type EventOutcome = { ok: true; eventId: string } | { ok: false; reason: string; code: 'invalid' | 'unknown_pixel' };

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
    /** Classifies the pages of page views (intent/service.ts); never throws. */
    private readonly pages: { learnPages(rows: readonly EventRow[]): Promise<void> } | null = null,
  ) {}

  /** Validates, enriches and commits; resolves when every accepted event is durable. */
  async ingest(raw: readonly unknown[], facts: RequestFacts): Promise<EventOutcome[]> {
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
      const pixel = await this.pixels.findLive(e.pixelId);
      if (!pixel || pixel.organization_id !== e.organizationId) {
        outcomes.push({ ok: false, reason: 'unknown pixel_id for this organization_id', code: 'unknown_pixel' });
        this.metrics.ingestRejected.inc({ reason: 'unknown_pixel' });
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
    if (rows.length > 0) {
      for (const [organizationId, links] of linksByOrganization(rows)) await this.identity.learn(organizationId, links);
      // Pages are classified while the batch commits; both are done before the answer.
      const [copies] = await Promise.all([
        this.deduper.storeOnce(rows, clientTs, (fresh) => this.committer.submit(fresh)),
        this.pages?.learnPages(rows),
      ]);
      const committed = this.now();
      for (const [i, r] of rows.entries()) {
        if (copies.has(i)) {
          this.metrics.ingestEvents.inc({ outcome: 'duplicate' });
          continue;
        }
        this.metrics.ingestEvents.inc({ outcome: r.is_bot ? 'bot' : 'accepted' });
        this.metrics.queryableLagSeconds.observe((committed - r.received_millis) / 1000);
      }
      await this.pixels.markFirstEvents(
        rows.map((r) => r.pixel_id),
        committed,
      );
    }
    const rejected = outcomes.length - rows.length;
    if (rejected > 0) this.metrics.ingestEvents.inc({ outcome: 'rejected' }, rejected);
    return outcomes;
  }
}

/** The visitor links a batch's events carry, per organization. */
function linksByOrganization(rows: readonly EventRow[]): Map<string, ReturnType<typeof IdentityService.linksOf>> {
  const out = new Map<string, ReturnType<typeof IdentityService.linksOf>>();
  for (const r of rows) {
    const [link] = IdentityService.linksOf([r]);
    if (!link) continue;
    const list = out.get(r.organization_id) ?? [];
    list.push(link);
    out.set(r.organization_id, list);
  }
  return out;
}
