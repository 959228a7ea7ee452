import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches } from 'class-validator';
import { ApiErrors } from '../docs/api-errors';
import { TokenService } from './token.service';
import { USER_ID, USER_ID_RULE } from './user';

export class DevLoginDto {
  @ApiProperty({ description: 'the user id the token names (its `sub`)', pattern: USER_ID.source, example: 'alice' })
  @IsString()
  @Matches(USER_ID, { message: USER_ID_RULE })
  username!: string;

  @ApiPropertyOptional({ type: [String], maxItems: 8, description: '`admin` may notify and push', example: ['admin'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsString({ each: true })
  roles?: string[];
}

export class TokenResponse {
  @ApiProperty({ description: 'an HS256 JWT, valid for `JWT_TTL_SECONDS`', example: 'eyJhbGciOiJIUzI1NiJ9…' })
  token!: string;
}

/** Issues a token for any user: registered only while AUTH_DEV_LOGIN is on (never in production). */
@ApiTags('auth')
@Controller('api/auth')
export class DevLoginController {
  constructor(private readonly tokens: TokenService) {}

  @Post('dev-login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Get a token for any user (development only)',
    description:
      'Registered only while `AUTH_DEV_LOGIN` is on: the default outside production, and never in production.',
  })
  @ApiOkResponse({ type: TokenResponse, description: 'the token' })
  @ApiErrors([400, 413, 415, 429, 503], { 503: 'the instance is shutting down' })
  login(@Body() body: DevLoginDto): TokenResponse {
    return { token: this.tokens.issue({ id: body.username, roles: body.roles ?? [] }) };
  }
}
