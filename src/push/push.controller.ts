import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuthGuard, RequireRoles } from '../auth/auth.guard';
import { ADMIN_ROLE, USER_ID } from '../auth/user';
import { ApiErrors, ApiToken } from '../docs/api-errors';
import { PushBodyDto } from './dto/push-event.dto';
import { PushAccepted } from './dto/push-responses.dto';
import { PushService, type PushResult } from './push.service';

@ApiTags('push')
@ApiToken()
@Controller('api/push')
@UseGuards(AuthGuard)
@RequireRoles([ADMIN_ROLE])
export class PushController {
  constructor(private readonly pushes: PushService) {}

  @Post(':username')
  @HttpCode(202)
  @ApiOperation({
    summary: "Push an event to every tab of a user (or to the user's inbox)",
    description:
      'Every `/push/<username>` socket, on every instance, gets `{"event": <event>, "id": <id>}`; with none open, ' +
      'the push waits in the inbox for the next connect. Needs the `admin` role.',
  })
  @ApiParam({
    name: 'username',
    schema: { type: 'string', pattern: USER_ID.source },
    description: 'the user id to push to',
  })
  @ApiAcceptedResponse({ type: PushAccepted, description: 'sent, or kept in the inbox' })
  @ApiErrors([400, 401, 403, 413, 415, 429, 503], {
    400: 'a username that is not 1-64 characters of `[A-Za-z0-9_-]`, a missing or null `event`, a field not taken, invalid JSON, JSON nested deeper than 64 levels',
  })
  push(@Param('username') username: string, @Body() body: PushBodyDto): Promise<PushResult> {
    return this.pushes.push(username, body.event);
  }
}
