import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { LoginAccountRepository } from './login-account.repository.js';
import { UserCareTeamEntity, UserEntity } from '../registry/registry.entities.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([UserEntity, UserCareTeamEntity]),
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
  providers: [LoginAccountRepository, AuthService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService],
})
export class AuthModule {}
