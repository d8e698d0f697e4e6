/**
 * INS (Identifiant National de Santé): the 13-character NIR followed by its 2-digit control key,
 * 15 characters in all. The department (characters 6–7) may be "2A" or "2B" (Corsica); for the
 * key those are read as 19 and 18. Key = 97 − (NIR mod 97).
 */
const INS_FORMAT = /^[0-9]{5}(2A|2B|[0-9]{2})[0-9]{8}$/;

export type InsCheck = { ok: true } | { ok: false; reason: 'format' | 'key' };

export function insKey(nir13: string): number {
  const department = nir13.slice(5, 7);
  const numeric = nir13.slice(0, 5) + (department === '2A' ? '19' : department === '2B' ? '18' : department) + nir13.slice(7);
  return 97 - Number(BigInt(numeric) % 97n);
}

/** Checks the format (the same as the database CHECK) and the control key. */
export function checkIns(ins: string): InsCheck {
  if (!INS_FORMAT.test(ins)) return { ok: false, reason: 'format' };
  return insKey(ins.slice(0, 13)) === Number(ins.slice(13)) ? { ok: true } : { ok: false, reason: 'key' };
}
