import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import type { Request, Response } from 'express';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AuthService, type SessionTokens } from './auth.service.js';
import { CurrentUser, Public } from './decorators.js';
import type { Principal } from './principal.js';
import { PSC_PENDING_TTL_SECONDS, PscService } from './psc.service.js';
import { clearPscCookie, clearRefreshCookie, readPscCookie, readRefreshCookie, setPscCookie, setRefreshCookie } from './refresh-cookie.js';

export class LoginDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(100) username!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) password!: string;
  @ApiPropertyOptional({ description: 'true: the refresh token comes as `refreshToken` in the answer instead of a cookie (non-browser clients)' })
  @IsOptional() @IsBoolean() refreshTokenInBody?: boolean;
}

export class RefreshDto {
  @ApiPropertyOptional({ description: 'the refresh token, for clients that got it in the body (browsers send the cookie)' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) refreshToken?: string;
}

export class LoginResponseDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ description: 'seconds' }) expiresIn!: number;
  @ApiPropertyOptional({ description: 'only when asked for with refreshTokenInBody (else an httpOnly cookie)' }) refreshToken?: string;
}

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly psc: PscService,
  ) {}

  @Public()
  @Get('psc/login')
  @ApiOperation({ summary: 'Pro Santé Connect: redirect (302) to the provider (authorization code + PKCE); 503 PSC_NOT_CONFIGURED when unset' })
  async pscLogin(@Req() req: Request, @Res() res: Response): Promise<void> {
    const { url, pending } = await this.psc.start();
    setPscCookie(res, pending, PSC_PENDING_TTL_SECONDS, req.secure || process.env.NODE_ENV === 'production');
    res.redirect(302, url);
  }

  @Public()
  @Get('psc/callback')
  @ApiOperation({
    summary:
      "Pro Santé Connect callback: the same tokens as POST /api/auth/login, for the user whose RPPS is the provider's national identifier. 401 PSC_LOGIN_FAILED (state, code, replay), 403 PSC_UNKNOWN_PROFESSIONAL (audited)",
  })
  @ApiOkResponse({ type: LoginResponseDto })
  async pscCallback(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResponseDto> {
    const settings = this.config.psc;
    if (!settings) throw new AppError('PSC_NOT_CONFIGURED', 'Pro Santé Connect is not configured on this server');
    // The URL the provider redirected to: the configured redirect URI with this request's query (never the Host header).
    const callback = new URL(settings.redirectUri);
    callback.search = new URL(req.originalUrl, 'http://unused').search;
    const pending = readPscCookie(req);
    clearPscCookie(res);
    return this.deliver(await this.psc.finish(callback, pending, req.ip, 'cookie'), req, res);
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a username and password for a short-lived access token and a refresh token' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiTooManyRequestsResponse({ description: 'TOO_MANY_REQUESTS: too many failed attempts from this address or for this username (Retry-After header)' })
  async login(@Body() body: LoginDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResponseDto> {
    try {
      const tokens = await this.auth.login(body.username, body.password, req.ip, body.refreshTokenInBody === true ? 'body' : 'cookie');
      return this.deliver(tokens, req, res);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'TOO_MANY_REQUESTS' || err.code === 'ACCOUNT_LOCKED')) {
        res.setHeader('Retry-After', String(err.details?.retryAfterSeconds ?? 60));
      }
      throw err;
    }
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'A refresh token (cookie or body) → a new access token and the next refresh token, delivered the same way. A token used twice ends its login.' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: unknown, expired, revoked or reused refresh token' })
  async refresh(@Body() body: RefreshDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResponseDto> {
    const token = body.refreshToken ?? readRefreshCookie(req);
    if (!token) throw new AppError('UNAUTHENTICATED', 'missing refresh token');
    try {
      return this.deliver(await this.auth.refresh(token, req.ip), req, res);
    } catch (err) {
      if (!body.refreshToken) clearRefreshCookie(res);
      throw err;
    }
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Ends the login: its refresh tokens (cookie or body) and access tokens stop working' })
  @ApiNoContentResponse()
  async logout(@CurrentUser() principal: Principal, @Body() body: RefreshDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(principal, body.refreshToken ?? readRefreshCookie(req));
    clearRefreshCookie(res);
  }

  private deliver(tokens: SessionTokens, req: Request, res: Response): LoginResponseDto {
    const answer: LoginResponseDto = { accessToken: tokens.accessToken, expiresIn: tokens.expiresIn };
    if (tokens.delivery === 'body') return { ...answer, refreshToken: tokens.refreshToken };
    // Secure behind TLS (req.secure believes X-Forwarded-Proto only from TRUST_PROXY), and always in production.
    setRefreshCookie(res, tokens.refreshToken, this.config.auth.refreshTokenTtlSeconds, req.secure || process.env.NODE_ENV === 'production');
    return answer;
  }
}
