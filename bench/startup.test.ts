import { formatStartup, median, parseBanner, parseBannerGateway, type StartupResult } from './startup.js';

describe('bench:startup', () => {
  it('reads the seconds of the ready banner', () => {
    expect(parseBanner('[platform] starting the gateway\n\n[platform] ready in 2.3s\n  GraphQL endpoint')).toBe(2300);
    expect(parseBanner('[platform] starting the gateway\n')).toBeUndefined();
  });

  it("reads the gateway's address from the banner", () => {
    const banner = '[platform] ready in 2.3s\n  GraphQL endpoint + IDE   http://localhost:41234/graphql   (open it in a browser)\n';
    expect(parseBannerGateway(banner)).toBe('http://localhost:41234');
    expect(parseBannerGateway('[platform] ready in 2.3s\n  GraphQL endpoint + IDE   http://localhost:412')).toBeUndefined();
  });

  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('prints the first start, each start and the median', () => {
    const run = { kind: 'warm' as const, wallMs: 2900, readyMs: 2900, bannerMs: 2880, reportedMs: 2700, cpuMs: 4100 };
    const result: StartupResult = {
      machine: '2 × test CPU',
      command: 'npm start',
      firstStart: { ...run, kind: 'first', wallMs: 9000, readyMs: 9000, bannerMs: 8990, reportedMs: 8800 },
      runs: [run, { ...run, wallMs: 3100 }],
      median: { wallMs: 3000, readyMs: 3000, bannerMs: 2880, reportedMs: 2700, cpuMs: 4100 },
    };
    expect(formatStartup(result)).toEqual([
      'start-up of `npm start` (2 × test CPU)',
      '  first start (empty data directory, seeds the catalog): 9.00 s (/ready 9.00 s, banner 8.99 s, banner says 8.80 s, CPU 4.10 s)',
      '  start 1/2: 2.90 s (/ready 2.90 s, banner 2.88 s, banner says 2.70 s, CPU 4.10 s)',
      '  start 2/2: 3.10 s (/ready 2.90 s, banner 2.88 s, banner says 2.70 s, CPU 4.10 s)',
      '  median of 2: 3.00 s (/ready 3.00 s, banner 2.88 s, banner says 2.70 s, CPU 4.10 s)',
    ]);
  });
});
