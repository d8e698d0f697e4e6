/** A valid INS (NIR with its key), random: INS are unique in the registry. */
export function validIns(): string {
  const digits = Array.from({ length: 13 }, (_, i) => (i === 0 ? 1 : Math.floor(Math.random() * 10))).join('');
  const nir = digits.slice(0, 5) + '75' + digits.slice(7);
  const key = 97 - Number(BigInt(nir) % 97n);
  return nir + String(key).padStart(2, '0');
}

/** A valid RPPS (10 random digits and their Luhn key), random: RPPS are unique. */
export function validRpps(): string {
  const body = '1' + Array.from({ length: 9 }, () => Math.floor(Math.random() * 10)).join('');
  for (let key = 0; key < 10; key++) {
    const candidate = body + key;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let d = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

export const NIR_OID = '1.2.250.1.213.1.4.8';

/** The five strict traits of the RNIV, plus a used name. */
export function identityTraits() {
  return { birthName: 'DUPONT', usedName: 'MARTIN', firstNames: ['Marie', 'Jeanne'], birthDate: '1955-08-14', sex: 'F', birthplaceCode: '16802' };
}
