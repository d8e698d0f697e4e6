import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { PscService } from './psc.service.js';
import { LoginAccountRepository } from './login-account.repository.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';
import { RefreshTokenRepository } from './refresh-token.repository.js';
import { RefreshTokenService } from './refresh-token.service.js';
import { UserCareTeamEntity, UserEntity } from '../registry/registry.entities.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([UserEntity, UserCareTeamEntity, RefreshTokenEntity]),
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: config.auth.jwtSecret,
        signOptions: { expiresIn: config.auth.accessTokenTtlSeconds, issuer: 'telemonitoring' },
        verifyOptions: { issuer: 'telemonitoring', algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [LoginAccountRepository, RefreshTokenRepository, RefreshTokenService, AuthService, PscService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService, RefreshTokenService],
})
export class AuthModule {}
