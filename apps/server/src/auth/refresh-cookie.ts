import type { Request, Response } from 'express';

/** The browser pages' refresh token: httpOnly (no script reads it), SameSite=Strict, only sent to /api/auth. */
export const REFRESH_COOKIE = 'tm_refresh';
const PATH = '/api/auth';

export function setRefreshCookie(res: Response, token: string, maxAgeSeconds: number, secure: boolean): void {
  res.cookie(REFRESH_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: PATH, maxAge: maxAgeSeconds * 1000 });
}

export function clearRefreshCookie(res: Response): void {
  res.clearCookie(REFRESH_COOKIE, { httpOnly: true, sameSite: 'strict', path: PATH });
}

/** The cookie's value from the Cookie header (no cookie-parser: the API reads two cookies, this and PSC's). */
export function readRefreshCookie(req: Request): string | undefined {
  return readCookie(req, REFRESH_COOKIE, 200);
}

/**
 * A Pro Santé Connect login in progress (state, nonce, PKCE verifier, signed): httpOnly, sent only
 * to /api/auth/psc, SameSite=Lax because the provider's redirect back is a cross-site navigation.
 */
export const PSC_COOKIE = 'tm_psc';
const PSC_PATH = '/api/auth/psc';

export function setPscCookie(res: Response, token: string, maxAgeSeconds: number, secure: boolean): void {
  res.cookie(PSC_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: PSC_PATH, maxAge: maxAgeSeconds * 1000 });
}

export function clearPscCookie(res: Response): void {
  res.clearCookie(PSC_COOKIE, { httpOnly: true, sameSite: 'lax', path: PSC_PATH });
}

export function readPscCookie(req: Request): string | undefined {
  return readCookie(req, PSC_COOKIE, 2000);
}

function readCookie(req: Request, name: string, maxLength: number): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value.length > 0 && value.length <= maxLength ? value : undefined;
    }
  }
  return undefined;
}
