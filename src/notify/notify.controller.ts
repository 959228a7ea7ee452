import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { AuthGuard, RequireRoles } from '../auth/auth.guard';
import { ADMIN_ROLE } from '../auth/user';
import type { TopicFrame } from '../common/frames';
import { NotifyService, type NotifyResult } from './notify.service';

@Controller('api/notify')
@UseGuards(AuthGuard)
@RequireRoles([ADMIN_ROLE])
export class NotifyController {
  constructor(private readonly notify: NotifyService) {}

  /** The body is validated against the topic's own DTO, which only the service can pick. */
  @Post(':topic')
  @HttpCode(202)
  publish(@Param('topic') topic: string, @Body() body: unknown): Promise<NotifyResult> {
    return this.notify.notify(topic, body);
  }

  @Get(':topic')
  snapshot(@Param('topic') topic: string): Promise<TopicFrame> {
    return this.notify.snapshot(topic);
  }
}
