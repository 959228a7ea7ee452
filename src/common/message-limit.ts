import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InvalidInputError } from './errors';

/** The `MESSAGE_MAX_CHARS` cap on chat and room messages, worded as class-validator words it. */
@Injectable()
export class MessageLimit {
  private readonly max: number;

  constructor(config: AppConfig) {
    this.max = config.messageMaxChars;
  }

  check(message: string): void {
    if (message.length > this.max) {
      throw new InvalidInputError([`message must be shorter than or equal to ${this.max} characters`]);
    }
  }
}
