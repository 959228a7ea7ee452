import { Controller, Get, Headers, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { ApiErrors } from '../docs/api-errors';
import { Metrics } from './metrics.service';

/**
 * `GET /metrics`: this instance's series in Prometheus text. Outside `/api`, so never rate
 * limited. Open unless `METRICS_TOKEN` is set, then only with that bearer token.
 */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  private readonly token?: Buffer;

  constructor(
    private readonly metrics: Metrics,
    config: AppConfig,
  ) {
    if (config.METRICS_TOKEN !== undefined) this.token = digest(config.METRICS_TOKEN);
  }

  /** Written with `end`: Express's `send` would rewrite the Content-Type's parameters. */
  @Get()
  @ApiOperation({
    summary: "This instance's metrics in Prometheus text",
    description:
      'Open unless `METRICS_TOKEN` is set; then only with `Authorization: Bearer <METRICS_TOKEN>`. Not rate-limited.',
  })
  @ApiResponse({
    status: 200,
    description: 'Prometheus text exposition format 0.0.4',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiErrors([401, 503], {
    401: '`METRICS_TOKEN` is set and the request does not carry it',
    503: 'the instance is shutting down',
  })
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() response: Response): Promise<void> {
    if (this.token && !this.allows(authorization)) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      throw new UnauthorizedException('a bearer token (METRICS_TOKEN) is required');
    }
    const text = await this.metrics.text();
    response.status(200).setHeader('Content-Type', this.metrics.contentType);
    response.end(text);
  }

  /** Compared as digests of equal length, in constant time: the answer tells nothing of the token. */
  private allows(authorization: string | undefined): boolean {
    const match = /^Bearer (.+)$/i.exec(authorization ?? '');
    return match !== null && this.token !== undefined && timingSafeEqual(digest(match[1]), this.token);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
