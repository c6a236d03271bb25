/**
 * Cross-origin access per origin: browsers on the listed origins may call the API (preflights are
 * answered here, before authentication and throttling, as browsers send them without credentials).
 * Nothing is allowed cross-origin unless configured.
 */
import vary from 'vary';
import { HANDLED, type GatewayFeature } from '../feature.js';

export interface CorsOptions {
  /** Exact origins (`https://app.example.com`) or `*` for any. @default [] (same origin only) */
  origins: readonly string[];
  /** Send Access-Control-Allow-Credentials (never together with `*`). @default false */
  credentials: boolean;
  /** How long browsers may cache a preflight, in seconds. @default 600 */
  maxAgeSeconds: number;
}

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const DEFAULT_ALLOWED_HEADERS =
  'authorization, content-type, x-api-key, x-request-id, apollo-require-preflight, x-apollo-operation-name';

export function useCors(options: CorsOptions): GatewayFeature {
  const any = options.origins.includes('*');
  const allowed = new Set(options.origins);
  const allowOrigin = (origin: string | undefined): string | undefined => {
    if (!origin) return undefined;
    if (allowed.has(origin)) return origin;
    // With credentials a wildcard must be answered with the concrete origin.
    if (any) return options.credentials ? origin : '*';
    return undefined;
  };
  return {
    name: 'cors',
    onRequest(req, res) {
      const origin = req.headers.origin;
      const value = allowOrigin(origin);
      vary(res, 'Origin');
      if (value) {
        res.setHeader('Access-Control-Allow-Origin', value);
        if (options.credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
        res.setHeader('Access-Control-Expose-Headers', 'x-request-id, retry-after, ratelimit, ratelimit-policy, age');
      }
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
        if (value) {
          res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
          res.setHeader(
            'Access-Control-Allow-Headers',
            String(req.headers['access-control-request-headers'] ?? DEFAULT_ALLOWED_HEADERS),
          );
          res.setHeader('Access-Control-Max-Age', String(options.maxAgeSeconds));
        }
        // A refused preflight still ends here: the browser blocks the call for lack of the headers.
        res.statusCode = 204;
        res.end();
        return HANDLED;
      }
    },
  };
}
