import { Module } from '@nestjs/common';
import { EchoGateway } from './echo.gateway';

@Module({ providers: [EchoGateway] })
export class EchoModule {}
