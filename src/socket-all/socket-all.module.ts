import { Module } from '@nestjs/common';
import { NotifyModule } from '../notify/notify.module';
import { AllDataGateway } from './all-data.gateway';

/** `/socket/all`: the socket side of the topics that `POST /notify/:topic` broadcasts. */
@Module({ imports: [NotifyModule], providers: [AllDataGateway] })
export class SocketAllModule {}
