import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { FrameDispatcher } from './frame-dispatcher';
import { HandshakeService } from './handshake.service';
import { PeerHub } from './peer-hub';

/** The WebSocket plumbing that the adapter (created in `bootstrap.ts`) takes from DI. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [PeerHub, HandshakeService, FrameDispatcher],
  exports: [PeerHub, HandshakeService, FrameDispatcher],
})
export class WsModule {}
