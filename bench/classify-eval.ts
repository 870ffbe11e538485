// Measures page classification on the hand-labelled set (test/taxonomy/labelled-pages.json): shared
// by bench/classify.ts, which prints the numbers, and the quality-floor unit test, which asserts them.
//
// For each page the classifier returns at most 3 topics (fewer when it is unsure):
//  - precision@3: the share of returned topics that the labels list, averaged over pages
//    (a page with nothing returned counts as 0);
//  - strict P@3: correct topics / 3, as if 3 were always returned (the usual IR definition);
//  - recall@3: the share of a page's labels found among the returned topics, averaged;
//  - hit@1: the share of pages whose first topic is labelled.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCatalog } from '../src/taxonomy/build.js';
import { classifiableOf, type PageInput, TopicClassifier } from '../src/taxonomy/classify.js';
import { loadSources } from '../src/taxonomy/source.js';

export interface LabelledPage extends PageInput {
  segment: 'B2B' | 'B2C';
  expected: string[];
}

export interface Scores {
  pages: number;
  precisionAt3: number;
  strictPrecisionAt3: number;
  recallAt3: number;
  hitAt1: number;
  unclassified: number;
}

export interface PageResult {
  page: LabelledPage;
  got: string[];
  hits: number;
}

export const LABELLED_FILE = join(import.meta.dirname, '..', 'test', 'taxonomy', 'labelled-pages.json');
export const HOLDOUT_FILE = join(import.meta.dirname, '..', 'test', 'taxonomy', 'labelled-pages-holdout.json');

export function loadLabelled(file = LABELLED_FILE): LabelledPage[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { pages: LabelledPage[] }).pages;
}

export function catalogClassifier(): TopicClassifier {
  return new TopicClassifier(buildCatalog(loadSources().nodes).topics.map(classifiableOf));
}

export function runPages(classifier: TopicClassifier, pages: readonly LabelledPage[]): PageResult[] {
  return pages.map((page) => {
    const got = classifier.classify(page, null, 3).map((m) => m.topic_id);
    return { page, got, hits: got.filter((id) => page.expected.includes(id)).length };
  });
}

export function score(results: readonly PageResult[]): Scores {
  const n = results.length;
  const mean = (f: (r: PageResult) => number): number => results.reduce((s, r) => s + f(r), 0) / n;
  return {
    pages: n,
    precisionAt3: mean((r) => (r.got.length ? r.hits / r.got.length : 0)),
    strictPrecisionAt3: mean((r) => r.hits / 3),
    recallAt3: mean((r) => r.hits / r.page.expected.length),
    hitAt1: mean((r) => (r.got[0] !== undefined && r.page.expected.includes(r.got[0]) ? 1 : 0)),
    unclassified: results.filter((r) => r.got.length === 0).length,
  };
}
