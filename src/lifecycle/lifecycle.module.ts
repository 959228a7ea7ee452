import { Global, Module } from '@nestjs/common';
import { DrainState } from './drain-state';
import { HttpDrain } from './http-drain';

/** Shutdown state, read by the WebSocket adapter, `/health` and the HTTP middleware. */
@Global()
@Module({ providers: [DrainState, HttpDrain], exports: [DrainState, HttpDrain] })
export class LifecycleModule {}
