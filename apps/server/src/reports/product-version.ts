import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';

/** Injection token: the product's version (package.json), printed in the reports' footer. */
export const PRODUCT_VERSION = 'PRODUCT_VERSION';

export function readProductVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
