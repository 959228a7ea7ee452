import jwt from 'jsonwebtoken';

/** The secret the e2e suites start their instances with (`JWT_SECRET`), so tests can sign tokens. */
export const TEST_SECRET = 'e2e-test-secret-0123456789-abcdefghijklmnop';

/** Another secret: a token signed with it must be refused by an instance using `TEST_SECRET`. */
export const OTHER_SECRET = 'not-the-server-secret-0123456789-abcdefghij';

export interface Claims {
  sub?: unknown;
  roles?: string[];
  /** Seconds since the epoch. */
  exp?: number;
  /** Seconds since the epoch. */
  nbf?: number;
}

/** A JWT signed by the test itself (HS256 unless told), with whatever claims the case needs. */
export function signToken(claims: Claims, secret = TEST_SECRET, algorithm: jwt.Algorithm = 'HS256'): string {
  return jwt.sign(claims, secret, { algorithm });
}

/** Seconds since the epoch, `offset` seconds from now. */
export function epochSeconds(offset = 0): number {
  return Math.floor(Date.now() / 1000) + offset;
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An `alg: none` token: header and payload, and an empty signature (RFC 7519 §6.1). */
export function unsignedToken(claims: Claims): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
}
