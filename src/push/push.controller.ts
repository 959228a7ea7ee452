import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { AuthGuard, RequireRoles } from '../auth/auth.guard';
import { ADMIN_ROLE } from '../auth/user';
import { PushBodyDto } from './dto/push-event.dto';
import { PushService, type PushResult } from './push.service';

@Controller('api/push')
@UseGuards(AuthGuard)
@RequireRoles([ADMIN_ROLE])
export class PushController {
  constructor(private readonly pushes: PushService) {}

  @Post(':username')
  @HttpCode(202)
  push(@Param('username') username: string, @Body() body: PushBodyDto): Promise<PushResult> {
    return this.pushes.push(username, body.event);
  }
}
