import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { ChatModule } from './chat/chat.module';
import { HttpErrorFilter } from './common/http-error.filter';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { EchoModule } from './chat-socket/echo.module';
import { HealthModule } from './health/health.module';
import { LayerModule } from './layer/layer.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { LoggingModule } from './logging/logging.module';
import type { PinoLevel } from './logging/root-logger';
import { MetricsModule } from './metrics/metrics.module';
import { MicroserviceModule } from './microservice/microservice.module';
import { NotifyModule } from './notify/notify.module';
import { PresenceModule } from './presence/presence.module';
import { PushModule } from './push/push.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { RoomModule } from './room/room.module';
import { SocketAllModule } from './socket-all/socket-all.module';
import { WsModule } from './ws/ws.module';

@Module({})
export class AppModule {
  /** `logLevel`: the level to log at, `LOG_LEVEL` unless a test says otherwise. */
  static forRoot(config: AppConfig, logLevel: PinoLevel = config.LOG_LEVEL): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config, logLevel),
        MetricsModule,
        RateLimitModule.forRoot(config),
        LifecycleModule,
        LayerModule,
        AuthModule.forRoot(config),
        WsModule,
        NotifyModule,
        SocketAllModule,
        PushModule,
        ChatModule,
        RoomModule,
        EchoModule,
        PresenceModule,
        MicroserviceModule.forRoot(config),
        HealthModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}
