import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { HealthIndicators } from './health-indicators';

/**
 * Kubernetes-style probes in terminus's shape (`{"status","info","error","details"}`), next to
 * `/health` (whose body the contract fixes). Outside `/api`: not rate-limited, and let through
 * while draining by `HttpDrain`.
 */
@ApiTags('health')
@Controller('health')
export class ProbesController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicators,
  ) {}

  /**
   * 200 whenever the process answers: draining and a Redis outage included, since restarting the
   * pod would cure neither. Built here rather than by `HealthCheckService.check`, whose result turns
   * to 503 `shutting_down` from Nest's `beforeApplicationShutdown` on, while the process still
   * answers.
   */
  @Get('live')
  @ApiOperation({
    summary: 'Liveness: the process answers',
    description:
      'Always 200 while the process answers, also while draining or while Redis is away. No token, not rate-limited.',
  })
  // Not documented with a 503: it has none.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ description: '`{"status":"ok","info":{"process":{"status":"up"}},"error":{},"details":{…}}`' })
  live(): HealthCheckResult {
    const process = this.indicators.process();
    return { status: 'ok', info: process, error: {}, details: process };
  }

  /** 200 while this instance should get new work; 503 (terminus's error body) while draining or while Redis is away. */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: this instance should get new work',
    description:
      '503 while draining (`drain` down) or while a configured Redis is away (`layer` down). No token, not rate-limited.',
  })
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.draining(), () => this.indicators.channelLayer()]);
  }
}
