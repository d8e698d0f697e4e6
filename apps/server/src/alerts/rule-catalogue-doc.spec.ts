import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { RULE_CATALOGUE, RULE_IDS } from '#domain';

/** docs/alert-rules.md's rules table: the "source" column is the catalogue's (libs/domain rule-catalogue.ts). */
function documentedSources(): Map<string, string> {
  const doc = readFileSync(new URL('../../../../docs/alert-rules.md', import.meta.url), 'utf8');
  const out = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const m = /^\| `([a-z0-9_.]+)` \|.*\| ([^|]+) \|$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

describe('rule catalogue and docs/alert-rules.md', () => {
  const documented = documentedSources();
  it.each(RULE_IDS.map((r) => [r]))('%s: the page shows the catalogue’s clinical source', (rule) => {
    expect(documented.get(rule)).toBe(RULE_CATALOGUE[rule].source);
  });
});
