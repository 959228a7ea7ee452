import { ArgumentsHost, Catch, Logger, type WsExceptionFilter } from '@nestjs/common';
import { InvalidInputError, UnknownTopicError } from '../common/errors';
import type { ErrorFrame } from '../common/frames';
import { LayerUnavailableError } from '../layer/channel-layer';
import { FrameError } from './frame-error';
import type { Peer } from './peer';

/** Turns whatever a gateway throws into an error frame for the sender alone. */
@Catch()
export class WsErrorFilter implements WsExceptionFilter {
  private readonly logger = new Logger(WsErrorFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const peer = host.switchToWs().getClient<Peer>();
    const { code, msg } = this.toFrame(error);
    peer.sendError(code, msg);
  }

  private toFrame(error: unknown): Omit<ErrorFrame, 'type'> {
    if (error instanceof FrameError) return { code: error.code, msg: error.message };
    if (error instanceof InvalidInputError) return { code: 400, msg: error.message };
    if (error instanceof UnknownTopicError) return { code: 404, msg: error.message };
    if (error instanceof LayerUnavailableError) return { code: 503, msg: 'service unavailable: message not sent' };
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return { code: 500, msg: 'internal error' };
  }
}
