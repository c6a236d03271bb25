/**
 * GATEWAY_TRUST_PROXY: which hops in front of the gateway may name the client in X-Forwarded-For,
 * so the per-IP rate-limit key is the client's address behind a load balancer. It takes the values
 * of express's `trust proxy` setting and is read the same way (proxy-addr). Off by default: the
 * header is then ignored, so a caller cannot pick its own rate-limit key by sending it.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';

/** express's `trust proxy` value: off, trust all, a number of hops, or addresses/subnets. */
export type TrustProxySetting = boolean | number | readonly string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrSubnet(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, bits, extra] = entry.split('/');
  if (extra !== undefined) return false;
  const version = isIP(address);
  if (!version) return false;
  if (bits === undefined) return true;
  return /^\d+$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

/** `false` (default), `true`, a hop count (`1`), or a list (`loopback, 10.0.0.0/8`). */
export const trustProxySchema = z
  .string()
  .default('false')
  .transform((raw, ctx): TrustProxySetting => {
    const value = raw.trim().toLowerCase();
    if (value === 'false' || value === '' || value === 'no') return false;
    if (value === 'true' || value === 'yes') return true;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((part) => part.trim()).filter(Boolean);
    const bad = entries.filter((entry) => !isAddressOrSubnet(entry));
    for (const entry of bad) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not true, false, a hop count, an IP address, a subnet (10.0.0.0/8) or loopback/linklocal/uniquelocal`,
      });
    }
    return Object.freeze(entries);
  });

/**
 * The client's address of a request as express's `req.ip` gives it under this `trust proxy` setting:
 * the peer's address, or the one X-Forwarded-For names behind as many trusted hops as it passed.
 */
export function clientAddressResolver(setting: TrustProxySetting): (req: IncomingMessage) => string {
  const peer = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown';
  if (setting === false) return peer;
  const trust =
    setting === true ? () => true : typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : proxyaddr.compile([...setting]);
  return (req) => proxyaddr(req, trust) || peer(req);
}
