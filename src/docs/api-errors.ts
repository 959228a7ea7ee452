import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiResponse, ApiSecurity } from '@nestjs/swagger';

/** Nest's error shape, which every refusal of the HTTP API has (`HttpErrorFilter`, guards, pipes). */
class ErrorBody {
  @ApiProperty({ type: 'integer', example: 400, description: 'the HTTP status, again' })
  statusCode!: number;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['property extra should not exist'],
    description: 'what was wrong; a validation failure lists one message per field, naming it',
  })
  message!: string | string[];

  @ApiProperty({ example: 'Bad Request', description: "the status's reason phrase" })
  error!: string;
}

/** Why a route answers each error status: the meanings shared by every route that can give it. */
const ERROR_MEANINGS = {
  400: 'invalid input: a field that fails validation or is not taken (`property <name> should not exist`), invalid JSON, JSON nested deeper than 64 levels',
  401: 'no token, or an invalid or expired one (`Authorization: Bearer`, the `token` header or the `token` query parameter)',
  403: 'the token lacks the `admin` role',
  404: 'no such topic',
  413: 'the body is over 100 KB',
  415: 'the body is in a charset the JSON parser does not take',
  429: 'over `HTTP_RATE_PER_MIN` requests a minute from this client address; `Retry-After` says when to retry',
  503: 'the Redis channel layer is unreachable (nothing was sent), or the instance is shutting down',
} as const;

export type ErrorStatus = keyof typeof ERROR_MEANINGS;

/**
 * The error responses of a route, each in Nest's error shape. `meanings` replaces the shared
 * meaning of a status where this route gives it for its own reason.
 */
export function ApiErrors(
  statuses: ErrorStatus[],
  meanings: Partial<Record<ErrorStatus, string>> = {},
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: meanings[status] ?? ERROR_MEANINGS[status], type: ErrorBody }),
    ),
  );
}

/** The token schemes (`setupApiDocs` declares them); a route takes any one of them. */
export const TOKEN_SCHEMES = { bearer: 'bearer', header: 'token-header', query: 'token-query' } as const;

/** A route that needs a token: in the Authorization header, the `token` header or the query. */
export function ApiToken(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(TOKEN_SCHEMES.bearer),
    ApiSecurity(TOKEN_SCHEMES.header),
    ApiSecurity(TOKEN_SCHEMES.query),
  );
}

/** Any JSON value but null, as OpenAPI 3.0 can say it (it has no `type: null`). */
export const ANY_JSON_BUT_NULL = {
  oneOf: [
    { type: 'object', additionalProperties: true },
    { type: 'array', items: {} },
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
  ],
};

/** A topic's `data`: a string, an array or an object (null, numbers and booleans are refused). */
export const TOPIC_DATA = {
  oneOf: [{ type: 'string' }, { type: 'array', items: {} }, { type: 'object', additionalProperties: true }],
};
