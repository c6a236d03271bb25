/**
 * In-process request counters per service and endpoint. Integration tests read them to count proxy
 * round trips (e.g. "listing 50 orders makes one proxy call for products").
 */
export const ENDPOINTS = ['query', 'batch', 'transaction'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface ServiceStats {
  /** Authenticated requests of this service, to any /v1 path. */
  requests: number;
  query: number;
  batch: number;
  transaction: number;
  /** Statements accepted for execution (a batch of 5 counts 5). */
  statements: number;
}

export interface DbProxyStats {
  /** Authenticated requests of all services. */
  requests: number;
  /** Requests refused with 401. */
  unauthenticated: number;
  byService: Record<string, ServiceStats>;
}

const empty = (): ServiceStats => ({ requests: 0, query: 0, batch: 0, transaction: 0, statements: 0 });

export class RequestStats {
  private data: DbProxyStats;

  constructor(private readonly services: readonly string[]) {
    this.data = this.fresh();
  }

  private fresh(): DbProxyStats {
    return { requests: 0, unauthenticated: 0, byService: Object.fromEntries(this.services.map((s) => [s, empty()])) };
  }

  request(service: string, endpoint: Endpoint | undefined): void {
    const entry = (this.data.byService[service] ??= empty());
    this.data.requests++;
    entry.requests++;
    if (endpoint) entry[endpoint]++;
  }

  statements(service: string, count: number): void {
    (this.data.byService[service] ??= empty()).statements += count;
  }

  unauthenticated(): void {
    this.data.unauthenticated++;
  }

  /** A copy: later requests do not change it. */
  snapshot(): DbProxyStats {
    return structuredClone(this.data);
  }

  reset(): void {
    this.data = this.fresh();
  }
}
