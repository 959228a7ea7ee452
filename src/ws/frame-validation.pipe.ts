import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { MessageBody } from '@nestjs/websockets';
import { validateFlatFrame } from '../common/validation';

const NOT_DTOS: ReadonlySet<unknown> = new Set([String, Number, Boolean, Array, Object]);

/**
 * Validates `@MessageBody()` DTOs of gateways, and throws the domain error that `WsErrorFilter`
 * turns into a 400 frame (Nest's default would surface as "Internal server error" on a socket).
 * Frame DTOs are flat, so this skips class-transformer: see `validateFlatFrame`.
 */
@Injectable()
export class FrameValidationPipe implements PipeTransform {
  transform(value: unknown, { metatype }: ArgumentMetadata): unknown {
    if (!metatype || NOT_DTOS.has(metatype)) return value;
    return validateFlatFrame(metatype as new () => object, value);
  }
}

const frameValidation = new FrameValidationPipe();

/**
 * The frame of a gateway's `@SubscribeMessage(FRAME)` handler, validated against the parameter's
 * DTO class. Per parameter, not per gateway: a gateway-wide pipe would also run on the
 * `@ConnectedSocket()` peer of every frame.
 */
export const Frame = (): ParameterDecorator => MessageBody(frameValidation);
