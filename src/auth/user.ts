/** A user id: 1–64 of `[A-Za-z0-9_-]` (CONTRACT.md, Identity). Chat ids also exclude `_`. */
export const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The one wording of that rule, wherever a username is refused. */
export const USER_ID_RULE = 'username must be 1-64 characters of [A-Za-z0-9_-]';

export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID.test(value);
}

export const ADMIN_ROLE = 'admin';

/** Who is behind a request or a socket, as the token says. */
export interface AuthUser {
  readonly id: string;
  readonly roles: readonly string[];
  /** When the token stops being valid (ms since the epoch, from its `exp`); none without `exp`. */
  readonly expiresAt?: number;
}
