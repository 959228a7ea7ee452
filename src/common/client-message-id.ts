import { applyDecorators } from '@nestjs/common';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsOmittable } from './omittable';

/**
 * `cid`: the client's own id for a chat or room message, 1–64 characters, so that it can resend
 * after a reconnect without the message being delivered twice (see `idempotencyKey`). It may be
 * left out; null is refused (it would otherwise key every null-`cid` message alike).
 */
export function IsClientMessageId(): PropertyDecorator {
  return applyDecorators(IsOmittable(), IsString(), MinLength(1), MaxLength(64));
}

/**
 * The layer's idempotency key of a message: its sender and their `cid`. A user id has no `:`,
 * so two users' keys never meet.
 */
export function idempotencyKey(userId: string, cid: string | undefined): string | undefined {
  return cid === undefined ? undefined : `${userId}:${cid}`;
}
