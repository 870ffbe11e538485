// Text to matching terms, one function for topics and pages alike so both sides agree: words are
// split, lowercased, stripped of stop words and web boilerplate, and reduced to their Porter stem
// (the `stemmer` package), so "hosting", "hosted" and "host" meet.
import { stemmer } from 'stemmer';

/** Common English function words and words every web page uses, which say nothing about its subject. */
const STOP = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by can ' +
    'could did do does doing down during each few for from further get got had has have having he her here hers him his how i if in ' +
    'into is it its itself just me more most my no nor not now of off on once only or other our ours out over own same she should so ' +
    'some such than that the their theirs them then there these they this those through to too under until up very was we were what ' +
    'when where which while who whom why will with would you your yours ' +
    // web and listing boilerplate
    'www best top vs review reviews reviewed tested tips ideas ways things everything overview introduction ' +
    'one two three five first week weeks year years today latest full complete simple easy ultimate beginner beginners ' +
    'us page pages site post posts article guide guides inc ltd llc'
  ).split(/\s+/),
);

/** Acronyms that collide with stop words when lowercased: "IT" (the department) is not "it". */
const CASE_SENSITIVE: Record<string, string[]> = { IT: ['information', 'technology'], US: ['united', 'states'] };

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Raw words of a text, in order, with the few case-sensitive acronyms expanded. */
export function words(text: string): string[] {
  const out: string[] = [];
  // "I.T." is written with dots in IAB's "Business I.T."; make it the acronym before splitting.
  for (const m of text.replace(/\bI\.T\.?/g, 'IT').matchAll(WORD)) {
    const w = m[0];
    const expanded = CASE_SENSITIVE[w];
    if (expanded) out.push(...expanded);
    else
      out.push(
        w
          .toLowerCase()
          .replace(/['’]s$/, '')
          .replace(/['’]/g, ''),
      );
  }
  return out;
}

/** Stem of one lowercase word, or null for a stop word, a lone character or a bare number. */
export function term(word: string): string | null {
  if (word.length < 2 || STOP.has(word) || /^\d+$/.test(word)) return null;
  return stemmer(word);
}

/**
 * Stems that pages use for everything ("managed", "business", "platform", "services", "track"):
 * on their own they never make a page about a topic (see classify.ts, coverage).
 */
export const GENERIC_TERMS: ReadonlySet<string> = new Set(
  (
    'busi servic manag softwar platform solut system onlin data compani team tool app product custom support profession ' +
    'enterpris track sale plan oper develop design train test care home new day learn help work inform technolog industri ' +
    'digit person small larg medium world intern nation local commerci gener special free easi fast price us'
  ).split(' '),
);

/** Matching terms of a text, in order (duplicates kept: they count as emphasis). */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    const t = term(w);
    if (t) out.push(t);
  }
  return out;
}

/** Path segments that name a site's section, not a subject. */
const PATH_BOILERPLATE = new Set(
  'blog news docs doc guides guide reference features feature products product resources resource solutions services platform category tag tags en us learn articles article posts post help support pages page p c s i'.split(
    ' ',
  ),
);

/** The words of a URL's path (not its host, query or fragment): `/blog/cloud-cost_tips.html` → "blog cloud cost tips". */
export function pathText(url: string): string {
  let path: string;
  try {
    path = new URL(url, 'http://x.invalid').pathname;
  } catch {
    return '';
  }
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // A malformed escape: keep the raw path; its words still split.
  }
  return decoded
    .replace(/\.(html?|php|aspx?|jsp)$/i, '')
    .split(/[/\-_.+~,;:]+/)
    .filter((seg) => seg && !PATH_BOILERPLATE.has(seg.toLowerCase()) && !/^[0-9a-f]{8,}$/i.test(seg) && !/\d{3,}/.test(seg))
    .join(' ');
}
