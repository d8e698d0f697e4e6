import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { Request, Response } from 'express';
import { AppError } from '../common/app-error.js';
import { AuthService } from './auth.service.js';
import { Public } from './decorators.js';

export class LoginDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(100) username!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) password!: string;
}

export class LoginResponseDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ description: 'seconds' }) expiresIn!: number;
}

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a username and password for a short-lived access token' })
  @ApiTooManyRequestsResponse({ description: 'TOO_MANY_REQUESTS: too many attempts from this address or for this username (Retry-After header)' })
  async login(@Body() body: LoginDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResponseDto> {
    try {
      return await this.auth.login(body.username, body.password, req.ip);
    } catch (err) {
      if (err instanceof AppError && err.code === 'TOO_MANY_REQUESTS') res.setHeader('Retry-After', String(err.details?.retryAfterSeconds ?? 60));
      throw err;
    }
  }
}
