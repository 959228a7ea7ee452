import { Injectable } from '@nestjs/common';
import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import { isUserId, type AuthUser } from './user';

export class InvalidTokenError extends Error {}

interface Claims {
  sub?: unknown;
  roles?: unknown;
  exp?: unknown;
}

/** Issues and checks HS256 JWTs; `sub` is the user id, `roles` may hold "admin". */
@Injectable()
export class TokenService {
  constructor(private readonly jwt: JwtService) {}

  issue(user: AuthUser): string {
    return this.jwt.sign({ sub: user.id, roles: [...user.roles] });
  }

  /** Throws `InvalidTokenError` for a bad signature, an expired token, `alg: none` or bad claims. */
  verify(token: string): AuthUser {
    let claims: Claims;
    try {
      // Pinning the algorithm refuses `alg: none` and algorithm-confusion tokens.
      claims = this.jwt.verify<Claims & object>(token, { algorithms: ['HS256'] });
    } catch (error) {
      throw new InvalidTokenError(error instanceof TokenExpiredError ? 'token expired' : 'invalid token');
    }
    if (!isUserId(claims.sub)) throw new InvalidTokenError('token subject is not a valid user id');
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((r) => typeof r === 'string') : [];
    // jsonwebtoken has already refused an `exp` that is not a number, or that has passed.
    return typeof claims.exp === 'number'
      ? { id: claims.sub, roles, expiresAt: claims.exp * 1000 }
      : { id: claims.sub, roles };
  }
}
