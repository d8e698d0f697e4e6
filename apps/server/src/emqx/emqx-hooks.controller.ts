import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../auth/decorators.js';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { HookBody } from './emqx-hook-body.js';
import { DENY, type HookAnswer, parseAuthnRequest, parseAuthzRequest, parseHookBody } from './emqx-hook-requests.js';
import { EmqxHooksService, sameSecret } from './emqx-hooks.service.js';

/** Mounted before the JSON parser (bootstrap.ts) with emqx-hook-body.ts. */
export const EMQX_HOOKS_PATH = '/api/broker/emqx';

/**
 * EMQX 5's HTTP authentication and authorization hooks (deploy/emqx/emqx.conf). Not behind the
 * users' tokens: EMQX sends its own credential, `Authorization: Bearer <EMQX_HOOK_SECRET>`;
 * without it 401. With it, the answer is always 200 with a `result`: anything malformed is deny
 * (a 4xx/5xx would be "ignore" to EMQX, which then tries its next source).
 */
@ApiExcludeController()
@Public()
@Controller(EMQX_HOOKS_PATH.slice(1))
export class EmqxHooksController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly hooks: EmqxHooksService,
  ) {}

  @Post('authn')
  @HttpCode(200)
  async authenticate(@Req() req: Request, @Body() body: HookBody | undefined): Promise<HookAnswer> {
    this.checkCredential(req);
    const parsed = parseAuthnRequest(parseHookBody(textOf(body)));
    return parsed ? this.hooks.authenticate(parsed) : DENY;
  }

  @Post('authz')
  @HttpCode(200)
  async authorize(@Req() req: Request, @Body() body: HookBody | undefined): Promise<HookAnswer> {
    this.checkCredential(req);
    const parsed = parseAuthzRequest(parseHookBody(textOf(body)));
    return parsed ? this.hooks.authorize(parsed) : DENY;
  }

  private checkCredential(req: Request): void {
    const header = req.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!sameSecret(given, this.config.emqxHooks!.secret)) throw new AppError('UNAUTHENTICATED', 'hook credential required');
  }
}

function textOf(body: HookBody | undefined): string | undefined {
  return body && 'text' in body ? body.text : undefined;
}
