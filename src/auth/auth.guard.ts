import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { findToken } from './token-source';
import { InvalidTokenError, TokenService } from './token.service';
import type { AuthUser } from './user';

/** Roles a route needs beyond a valid token: `@RequireRoles('admin')`. */
export const RequireRoles = Reflector.createDecorator<string[]>();

type AuthedRequest = Request & { user: AuthUser };

/** 401 without a valid token, 403 without a required role. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const query = new URL(request.originalUrl, 'http://localhost').searchParams;
    const token = findToken(request.headers, query);
    if (!token) throw new UnauthorizedException('missing token');
    try {
      request.user = this.tokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedException(error.message);
      throw error;
    }
    const required = this.reflector.getAllAndOverride(RequireRoles, [context.getHandler(), context.getClass()]) ?? [];
    const missing = required.filter((role) => !request.user.roles.includes(role));
    if (missing.length > 0) throw new ForbiddenException(`requires the ${missing.join(', ')} role`);
    return true;
  }
}
