/**
 * RPPS number (Répertoire partagé des professionnels de santé): 11 digits, the last a Luhn check
 * digit over the first ten. The national identifier Pro Santé Connect gives is "8" + the RPPS.
 */
const RPPS_FORMAT = /^[0-9]{11}$/;

export type RppsCheck = { ok: true } | { ok: false; reason: 'format' | 'key' };

/** Luhn: from the right, every second digit doubled (minus 9 above 9); the sum is a multiple of 10. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function checkRpps(rpps: string): RppsCheck {
  if (!RPPS_FORMAT.test(rpps)) return { ok: false, reason: 'format' };
  return luhnValid(rpps) ? { ok: true } : { ok: false, reason: 'key' };
}
