import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { type AppConfig, ConfigError } from '../config/app-config.js';

/**
 * The product's pages (apps/server/public: console, patient, report) load their own scripts and
 * styles only, talk to their own origin (REST, socket.io), and have no inline script, inline
 * style or event-handler attribute: a policy with no 'unsafe-inline' holds them
 * (test/e2e/security-headers.test.ts loads each in Chromium and fails on any violation).
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
};

/** Swagger UI (served only where API_DOCS allows) writes inline styles: for /api/docs alone. */
const DOCS_POLICY = { ...CONTENT_SECURITY_POLICY, styleSrc: ["'self'", "'unsafe-inline'"] };

/** One year, the usual preload-list minimum; subdomains included (the API's host serves nothing else over HTTP). */
export const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * In production the API's absolute links (FHIR fullUrl, self, next) come from PUBLIC_BASE_URL,
 * never from the request's Host header (which any client writes): without it the API refuses to
 * start. The demo, outside production or not, falls back to the request's host.
 */
export function assertPublicBaseUrl(config: AppConfig): void {
  if (config.exposure.production && !config.demo && config.roles.includes('api') && !config.exposure.publicBaseUrl) {
    throw new ConfigError(
      'Invalid configuration:\n  PUBLIC_BASE_URL: required with NODE_ENV=production (the address clients reach the API at, e.g. https://telemonitoring.example.org; FHIR links are built from it)',
    );
  }
}

/**
 * Security headers on every HTTP response (JSON, errors, static pages, FHIR, health): helmet's
 * defaults with the policy above, no X-Powered-By, and HSTS only where the client reached us over
 * TLS (req.secure, which believes X-Forwarded-Proto only from a trusted proxy) or the public
 * address is https. Installed before every other middleware so that even a refused body gets them.
 */
export function applyHttpSecurity(app: NestExpressApplication, config: AppConfig): void {
  app.disable('x-powered-by');
  const common = { strictTransportSecurity: false } as const;
  const pages = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY } });
  const docs = helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: DOCS_POLICY } });
  const httpsPublic = config.exposure.publicBaseUrl?.startsWith('https://') === true;
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.secure || httpsPublic) res.setHeader('Strict-Transport-Security', HSTS);
    (req.path === '/api/docs' || req.path.startsWith('/api/docs/') ? docs : pages)(req, res, next);
  });
}
