import { DynamicModule, Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { AuthGuard } from './auth.guard';
import { DevLoginController } from './dev-login.controller';
import { TokenService } from './token.service';

@Global()
@Module({})
export class AuthModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AuthModule,
      imports: [
        JwtModule.register({
          // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a
          // public key on every sign and verify (~0.5 ms each; it dominated handshake CPU).
          secret: createSecretKey(Buffer.from(config.JWT_SECRET, 'utf8')),
          signOptions: { algorithm: 'HS256', expiresIn: config.JWT_TTL_SECONDS },
          verifyOptions: { algorithms: ['HS256'] },
        }),
      ],
      controllers: config.devLoginEnabled ? [DevLoginController] : [],
      providers: [TokenService, AuthGuard],
      exports: [TokenService, AuthGuard],
    };
  }
}
