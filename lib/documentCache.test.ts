import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse, type DocumentNode } from 'graphql';
import { documentCache, estimatedDocumentBytes } from './documentCache.js';
import { operationCache } from '../gateway/federation/planning/planCache.js';

const query = (n: number, fields = 1) =>
  `{ a${n}: products(first: 1) { ${Array.from({ length: fields }, (_, i) => `f${i}: totalCount`).join(' ')} } }`;

describe('estimatedDocumentBytes', () => {
  it('grows with the source, from any node of the document', () => {
    const small = parse(query(1));
    const large = parse(query(1, 100));
    expect(estimatedDocumentBytes(large)).toBeGreaterThan(10 * estimatedDocumentBytes(small));
    // An operation reaches the whole source through its location, so it costs what its document does.
    expect(estimatedDocumentBytes(large.definitions[0])).toBe(estimatedDocumentBytes(large));
  });

  it('is not below what a parsed document holds in the heap, and within three times of it', () => {
    // JSON.stringify, Apollo Server's default estimate, is a fifth of it.
    for (const fields of [1, 20, 200]) {
      const text = query(0, fields);
      const measured = measuredHeapPerDocument(() => parse(text));
      const estimate = estimatedDocumentBytes(parse(text));
      expect(estimate).toBeGreaterThanOrEqual(measured * 0.9);
      expect(estimate).toBeLessThan(measured * 3);
    }
  });
});

describe('documentCache', () => {
  it('keeps documents up to its size in estimated heap, least recently used out first', async () => {
    const one = estimatedDocumentBytes(parse(query(100000)));
    const store = documentCache(one * 10);
    const documents = Array.from({ length: 50 }, (_, i) => parse(query(100000 + i)));
    for (const [i, document] of documents.entries()) {
      await store.set(`k${i}`, document);
      if (i === 5) await store.get('k0'); // k0 is used again, so it outlives k1..k5
    }
    const kept = (await Promise.all(documents.map((_, i) => store.get(`k${i}`)))).filter(Boolean);
    expect(kept.length).toBeGreaterThanOrEqual(9);
    expect(kept.length).toBeLessThanOrEqual(10);
    expect(await store.get('k49')).toBe(documents[49]);
    expect(await store.get('k1')).toBeUndefined();
  });

  it('does not keep a document larger than the whole cache', async () => {
    const store = documentCache(10_000);
    const huge: DocumentNode = parse(query(1, 500));
    await store.set('huge', huge);
    expect(await store.get('huge')).toBeUndefined();
    const small = parse('{ a }');
    await store.set('small', small);
    expect(await store.get('small')).toBe(small);
    await store.delete('small');
    expect(await store.get('small')).toBeUndefined();
  });
});

describe('operationCache', () => {
  it('is bounded by count and by the estimated heap of its operations', () => {
    const entry = (n: number, fields = 1) => ({ operation: parse(query(n, fields)).definitions[0] as any });
    const byCount = operationCache<ReturnType<typeof entry>>(3, 2 ** 30);
    for (let i = 0; i < 10; i++) byCount.set(`k${i}`, entry(i));
    expect(byCount.size).toBe(3);

    const perEntry = 2 * estimatedDocumentBytes(entry(0).operation);
    const bySize = operationCache<ReturnType<typeof entry>>(1000, perEntry * 4);
    for (let i = 0; i < 10; i++) bySize.set(`k${i}`, entry(i));
    expect(bySize.size).toBe(4);
    bySize.set('big', entry(99, 400));
    expect(bySize.has('big')).toBe(false);
  });
});

/** Heap per document, 500 of them kept, between full collections. */
function measuredHeapPerDocument(make: () => DocumentNode): number {
  // gc() without starting the test process with --expose-gc: the flag, then a fresh context that has it.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = Array.from({ length: 500 }, make);
  gc();
  const after = process.memoryUsage().heapUsed;
  expect(kept).toHaveLength(500);
  return (after - before) / kept.length;
}
