import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches } from 'class-validator';
import { TokenService } from './token.service';
import { USER_ID, USER_ID_RULE } from './user';

export class DevLoginDto {
  @IsString()
  @Matches(USER_ID, { message: USER_ID_RULE })
  username!: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsString({ each: true })
  roles?: string[];
}

/** Issues a token for any user: registered only while AUTH_DEV_LOGIN is on (never in production). */
@Controller('api/auth')
export class DevLoginController {
  constructor(private readonly tokens: TokenService) {}

  @Post('dev-login')
  @HttpCode(200)
  login(@Body() body: DevLoginDto): { token: string } {
    return { token: this.tokens.issue({ id: body.username, roles: body.roles ?? [] }) };
  }
}
