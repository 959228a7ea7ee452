import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthGuard, RequireRoles } from '../auth/auth.guard';
import { ADMIN_ROLE } from '../auth/user';
import type { TopicFrame } from '../wire/serialise';
import { ApiErrors, ApiToken } from '../docs/api-errors';
import { NotifyAccepted, TopicSnapshot } from './dto/notify-responses.dto';
import { TopicPayloadDto } from './dto/topic-payload.dto';
import { NotifyService, type NotifyResult } from './notify.service';
import { TOPICS } from './topic-registry';

const TOPIC_PARAM = { name: 'topic', enum: Object.keys(TOPICS), description: 'a topic registered in code' };

@ApiTags('notify')
@ApiToken()
@Controller('api/notify')
@UseGuards(AuthGuard)
@RequireRoles([ADMIN_ROLE])
export class NotifyController {
  constructor(private readonly notify: NotifyService) {}

  /** The body is validated against the topic's own DTO, which only the service can pick. */
  @Post(':topic')
  @HttpCode(202)
  @ApiOperation({
    summary: "Store a topic's snapshot and broadcast it to /socket/all on every instance",
    description:
      'Every `/socket/all` socket gets `{"type": <topic>, "data": <data>, "id": <id>}`. Needs the `admin` role.',
  })
  @ApiParam(TOPIC_PARAM)
  @ApiBody({ type: TopicPayloadDto })
  @ApiAcceptedResponse({ type: NotifyAccepted, description: 'stored and sent' })
  @ApiErrors([400, 401, 403, 404, 413, 415, 429, 503])
  publish(@Param('topic') topic: string, @Body() body: unknown): Promise<NotifyResult> {
    return this.notify.notify(topic, body);
  }

  @Get(':topic')
  @ApiOperation({
    summary: "A topic's current snapshot",
    description: 'What `/socket/all` answers `{"type": <topic>}` with. Needs the `admin` role.',
  })
  @ApiParam(TOPIC_PARAM)
  @ApiOkResponse({ type: TopicSnapshot })
  @ApiErrors([401, 403, 404, 429, 503], {
    503: 'the Redis channel layer is unreachable, or the instance is shutting down',
  })
  snapshot(@Param('topic') topic: string): Promise<TopicFrame> {
    return this.notify.snapshot(topic);
  }
}
