import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';

/**
 * Provides the validated `AppConfig`. The config is built before the module (see `main.ts`), so
 * several instances with different settings can run in one process, as the e2e tests do;
 * `@nestjs/config` keeps process-wide state (`process.env`) that would make them share settings.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] };
  }
}
