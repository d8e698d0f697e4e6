/**
 * Adds `-c name=value` session settings to a postgres:// URL's `options` parameter (sent in the
 * startup packet, so they apply from the first query of every connection). Put in the URL rather
 * than beside it because `pg` lets the URL's own `options` win over a pool's `options`, and
 * because every pool of the process (TypeORM, `pg`, ingestion's writers, the LISTEN connection)
 * is built from the same URL.
 */
export function withSessionSettings(url: string, settings: Record<string, string>): string {
  const u = new URL(url);
  const parts = [u.searchParams.get('options') ?? ''];
  for (const [name, value] of Object.entries(settings)) {
    if (!/^[a-z_][a-z0-9_.]*$/i.test(name)) throw new Error(`invalid setting name: ${name}`);
    // The server splits options on whitespace; a backslash keeps a space or backslash literal.
    parts.push(`-c ${name}=${value.replace(/[\\\s]/g, (c) => `\\${c}`)}`);
  }
  u.searchParams.set('options', parts.filter(Boolean).join(' '));
  return u.toString();
}

