// The intent panel of a person's page: which topics the person is reading about in the chosen
// window, their scores (50 = their normal, 60 and more = surging), and for each surging topic why:
// the pages, the days and the baseline it was measured against. Self-contained: give it the
// organization and the person's SHA-256 HEM; it loads GET /orgs/{org}/people/{hem}/intent itself.
import { useId, useState } from 'react';
import { api } from '../lib/api';
import { useResource } from '../lib/hooks';
import type { IntentExplanation, IntentTopicScore, PersonIntentBody } from '../lib/types';
import { Badge, ErrorMessage, Loading, TableHead } from './ui';

const WINDOWS = [1, 7, 14] as const;

export function IntentPanel({ orgId, hem }: { orgId: string; hem: string }) {
  const [windowDays, setWindowDays] = useState<number>(7);
  const selectId = useId();
  const intent = useResource(
    () =>
      api<PersonIntentBody>('GET', `/orgs/${encodeURIComponent(orgId)}/people/${encodeURIComponent(hem)}/intent?window_days=${windowDays}`),
    [orgId, hem, windowDays],
  );
  const body = intent.data;
  const others = body?.topics.filter((t) => !t.surging) ?? [];
  return (
    <section className="card intent-panel" aria-labelledby={`${selectId}-title`}>
      <div className="card-head">
        <h2 id={`${selectId}-title`}>Intent</h2>
        <div className="field inline-field">
          <label htmlFor={selectId}>Window</label>
          <select id={selectId} value={windowDays} onChange={(e) => setWindowDays(Number(e.target.value))}>
            {WINDOWS.map((w) => (
              <option key={w} value={w}>
                {w === 1 ? 'Today' : `Last ${w} days`}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorMessage>{intent.error}</ErrorMessage>
      {intent.loading && !body ? <Loading label="Loading intent…" /> : null}
      {body ? (
        body.topics.length === 0 ? (
          <p className="muted">No reading on any topic in this window.</p>
        ) : (
          <>
            {body.surging.length === 0 ? (
              <p className="muted">Nothing surging: this person reads at their usual pace.</p>
            ) : (
              <ul className="intent-surging">
                {body.surging.map((e) => (
                  <SurgingTopic key={e.topic_id} e={e} />
                ))}
              </ul>
            )}
            {others.length > 0 ? (
              <>
                <h3>Other topics</h3>
                <ul className="intent-others">
                  {others.map((t) => (
                    <OtherTopic key={t.topic_id} t={t} />
                  ))}
                </ul>
              </>
            ) : null}
            <p className="muted">
              Scores compare recent reading with this person’s own normal level: 50 is normal, 60 and more is surging. As of {body.as_of}{' '}
              (UTC).
            </p>
          </>
        )
      ) : null}
    </section>
  );
}

function SurgingTopic({ e }: { e: IntentExplanation }) {
  const baseline =
    e.baseline.own_share > 0
      ? `${e.baseline.views} ${e.baseline.views === 1 ? 'view' : 'views'} in the ${e.baseline.days} days before (${e.baseline.known_days} days known)`
      : 'new to this topic: measured against your organization’s usual reader';
  return (
    <li className="intent-topic">
      <div className="intent-topic-head">
        <h3>{e.name}</h3>
        <Badge tone="good">Surging {e.intent_score}</Badge>
      </div>
      <p>
        {e.intent_frequency} {e.intent_frequency === 1 ? 'page view' : 'page views'} from {e.window.start} to {e.window.end}; baseline:{' '}
        {baseline}.
      </p>
      <table>
        <caption className="visually-hidden">Pages behind {e.name}</caption>
        <TableHead columns={['Page', 'Views', 'Relevance']} />
        <tbody>
          {e.pages.map((p) => (
            <tr key={p.url}>
              <th scope="row" className="truncate" title={p.url}>
                {p.title || p.url}
                <div className="muted truncate">{p.url}</div>
              </th>
              <td>{p.count}</td>
              <td>{Math.round(p.relevance * 100)}%</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">By day: {e.days.map((d) => `${d.date} (${d.count})`).join(', ')}</p>
    </li>
  );
}

function OtherTopic({ t }: { t: IntentTopicScore }) {
  return (
    <li>
      {t.name}: score {t.intent_score}, {t.intent_frequency} {t.intent_frequency === 1 ? 'view' : 'views'}
    </li>
  );
}
