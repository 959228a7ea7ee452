import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthIndicators } from './health-indicators';
import { HealthController } from './health.controller';
import { ProbesController } from './probes.controller';

/**
 * `/health` (the contract's body) and the terminus probes `/health/live` and `/health/ready`.
 * terminus's own logger is off: it would log an error on every failed readiness probe (every few
 * seconds through a Redis outage or a drain), whose cause the layer and the shutdown already log
 * once; and it is a ConsoleLogger of its own, outside the application's logger.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, ProbesController],
  providers: [HealthIndicators],
})
export class HealthModule {}
