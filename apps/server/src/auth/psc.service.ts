import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHmac } from 'node:crypto';
import * as oidc from 'openid-client';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AuditService } from '../audit/audit.service.js';
import { AuthService, type SessionTokens } from './auth.service.js';
import type { RefreshDelivery } from './refresh-token.service.js';

/** What the login keeps between the redirect and the callback (in a signed, short-lived cookie). */
interface PscPending {
  state: string;
  nonce: string;
  verifier: string;
}

/** How long a professional has to authenticate at the provider. */
export const PSC_PENDING_TTL_SECONDS = 600;

/**
 * Pro Santé Connect login (CONTRACT §8, docs/security.md §5): OpenID Connect authorization code
 * with PKCE through openid-client. The provider's national identifier (`SubjectNameID`, "8" +
 * RPPS for a professional in the RPPS) is matched to the user with that RPPS, who gets the same
 * tokens as a password login. The provider's metadata is discovered at the first login.
 */
@Injectable()
export class PscService {
  private readonly logger = new Logger('ProSanteConnect');
  private configuration: Promise<oidc.Configuration> | undefined;
  private readonly stateSecret: string | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jwt: JwtService,
    private readonly auth: AuthService,
    private readonly audit: AuditService,
  ) {
    // Its own key, derived: a pending-login cookie can never pass for an access token.
    this.stateSecret = config.auth.jwtSecret ? createHmac('sha256', config.auth.jwtSecret).update('psc-pending').digest('base64url') : undefined;
  }

  /** The provider's authorization URL, and the signed pending state for the cookie. */
  async start(): Promise<{ url: string; pending: string }> {
    const configuration = await this.provider();
    const pending: PscPending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings().redirectUri,
      scope: 'openid scope_all',
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
      acr_values: 'eidas1',
    });
    const token = await this.jwt.signAsync({ psc: pending }, { secret: this.stateSecret, expiresIn: PSC_PENDING_TTL_SECONDS, audience: 'psc-pending' });
    return { url: url.href, pending: token };
  }

  /** The callback: code → tokens (PKCE, state, nonce checked) → userinfo → our session. */
  async finish(callbackUrl: URL, pendingToken: string | undefined, ip: string | undefined, delivery: RefreshDelivery): Promise<SessionTokens> {
    const configuration = await this.provider();
    const pending = await this.readPending(pendingToken, ip);
    let rpps: string | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const sub = tokens.claims()?.sub;
      if (!sub) throw new Error('no subject in the ID token');
      const info = await oidc.fetchUserInfo(configuration, tokens.access_token, sub);
      rpps = rppsOf(info.SubjectNameID ?? info.preferred_username);
    } catch (err) {
      await this.refuse(ip, 'provider', (err as Error).name);
      throw new AppError('PSC_LOGIN_FAILED', 'Pro Santé Connect login failed: start again');
    }
    if (!rpps) {
      await this.refuse(ip, 'no-rpps');
      throw new AppError('PSC_UNKNOWN_PROFESSIONAL', 'the provider gave no RPPS number for this professional');
    }
    return this.auth.loginByRpps(rpps, ip, delivery);
  }

  private async readPending(token: string | undefined, ip: string | undefined): Promise<PscPending> {
    try {
      if (!token) throw new Error('missing');
      const payload = await this.jwt.verifyAsync<{ psc: PscPending }>(token, { secret: this.stateSecret, audience: 'psc-pending' });
      return payload.psc;
    } catch {
      await this.refuse(ip, 'pending-state');
      throw new AppError('PSC_LOGIN_FAILED', 'no Pro Santé Connect login in progress, or it expired: start again');
    }
  }

  private async refuse(ip: string | undefined, reason: string, error?: string): Promise<void> {
    await this.audit.record({ action: 'auth.psc.login', outcome: 'failure', actor: { ip }, details: { reason, ...(error ? { error } : {}) } });
  }

  private settings(): NonNullable<AppConfig['psc']> {
    if (!this.config.psc) throw new AppError('PSC_NOT_CONFIGURED', 'Pro Santé Connect is not configured on this server');
    return this.config.psc;
  }

  private provider(): Promise<oidc.Configuration> {
    const settings = this.settings();
    this.configuration ??= oidc
      .discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, {
        // Plain http only for a provider on this machine (the tests' provider).
        ...(new URL(settings.issuer).protocol === 'http:' && ['127.0.0.1', 'localhost'].includes(new URL(settings.issuer).hostname)
          ? { execute: [oidc.allowInsecureRequests] }
          : {}),
      })
      .catch((err: Error) => {
        this.configuration = undefined; // retried at the next login
        this.logger.error({ err: err.message }, 'Pro Santé Connect discovery failed');
        throw new AppError('SERVICE_UNAVAILABLE', 'Pro Santé Connect is unreachable, try again later');
      });
    return this.configuration;
  }
}

/** PSC's national identifier: "8" + RPPS (11 digits) for RPPS professionals; anything else has no RPPS. */
export function rppsOf(nationalId: unknown): string | undefined {
  if (typeof nationalId !== 'string') return undefined;
  const m = /^8?([0-9]{11})$/.exec(nationalId);
  return m ? m[1] : undefined;
}
