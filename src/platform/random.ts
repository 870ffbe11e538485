// A small seeded random generator (mulberry32): the demo dataset, the benches and the engine
// comparison tests use it so the same seed gives the same data on every run and engine. Not for
// anything secret (node:crypto is).
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
