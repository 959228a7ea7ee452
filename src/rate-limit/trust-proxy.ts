/**
 * `TRUST_PROXY` as Express's `trust proxy` setting: `true`/`false`, a hop count, or Express's own
 * string form (`loopback`, `10.0.0.0/8`, comma lists). Unset, nothing is trusted: `req.ip` is the
 * TCP peer, and a client cannot pick the address it is counted under with `X-Forwarded-For`.
 */
export function trustProxySetting(value: string): boolean | number | string {
  const trimmed = value.trim();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  return trimmed;
}
