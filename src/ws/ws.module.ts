import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { FrameDispatcher } from './frames/frame-dispatcher';
import { HandshakeService } from './handshake/handshake.service';
import { PeerHub } from './peers/peer-hub';
import { TokenExpiry } from './handshake/token-expiry';

/** The WebSocket plumbing that the adapter (created in `bootstrap.ts`) takes from DI. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [PeerHub, HandshakeService, FrameDispatcher, TokenExpiry],
  exports: [PeerHub, HandshakeService, FrameDispatcher],
})
export class WsModule {}
