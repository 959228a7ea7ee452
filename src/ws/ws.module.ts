import { Global, Module } from '@nestjs/common';
import { HandshakeService } from './handshake.service';
import { PeerHub } from './peer-hub';

/** The WebSocket plumbing that the adapter (created in `bootstrap.ts`) takes from DI. */
@Global()
@Module({ providers: [PeerHub, HandshakeService], exports: [PeerHub, HandshakeService] })
export class WsModule {}
