import { formatProxyBenchmark, type ProxyBenchmarkFigures, type TargetFigures } from './proxyBenchmark.js';

const figures = (latencyP50Us: number, opsPerSecond: number): TargetFigures => ({
  latencyP50Us,
  latencyP99Us: latencyP50Us * 2,
  opsPerSecond,
  clientCpuUs: 10,
});

const result: ProxyBenchmarkFigures = {
  skipped: false,
  machine: '2 × test CPU',
  postgres: 'PostgreSQL 15',
  cores: { client: '1', proxy: '0', pinned: true },
  settings: {
    runs: 1,
    warmupSeconds: 1,
    latencySeconds: 1,
    throughputSeconds: 1,
    windowSeconds: 1,
    concurrency: 32,
    poolMax: 10,
    proxyLogLevel: 'info',
    build: true,
    floors: true,
  },
  statement: 'SELECT 1',
  pg: figures(170, 12_000),
  proxy: { ...figures(380, 11_000), proxyCpuUs: 78 },
  http: figures(195, 72_000),
  tcp: figures(120, 78_000),
  ratios: { latencyP50: 2.24, latencyP99: 2.3, throughput: 0.92 },
  httpRatios: { latencyP50: 1.15, latencyP99: 1.3, throughput: 6 },
  tcpRatios: { latencyP50: 0.71, latencyP99: 1, throughput: 6.5 },
  runs: [],
  batch: { references: 100, resolved: 100, proxyRequests: 1, statements: 1 },
  targets: { latency: false, throughput: true, batch: true },
};

describe('the proxy benchmark table', () => {
  it('shows both floors and the lowest ratio a proxy without HTTP could reach', () => {
    const table = formatProxyBenchmark(result);
    expect(table).toMatch(/^HTTP alone \/ pg\s+1\.15x/m);
    expect(table).toMatch(/^TCP alone, no HTTP\s+120 µs\s+240 µs\s+78,000/m);
    expect(table).toMatch(/^TCP alone \/ pg\s+0\.71x/m);
    expect(table).toContain('would still be at 1.71x pg');
    expect(table).toContain('latency target (p50 <= 1.25x): NOT met; throughput target (>= 0.8x): met');
  });

  it('leaves the floor rows out when they were not measured', () => {
    const { http: _http, tcp: _tcp, httpRatios: _h, tcpRatios: _t, ...withoutFloors } = result;
    const table = formatProxyBenchmark({ ...withoutFloors, settings: { ...result.settings, floors: false } });
    expect(table).not.toContain('HTTP alone');
    expect(table).not.toContain('TCP alone');
  });
});
