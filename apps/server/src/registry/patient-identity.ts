import { identityProblems, INS_OID_NIR, shareableIns, type PatientIdentity } from '#domain';
import { AppError } from '../common/app-error.js';
import type { PatientRecord } from './patient.repository.js';
import type { IdentityDto } from './registry.dto.js';
import type { IdentityView } from './registry.views.js';

/** The identity columns of a patient (PatientRecord's RNIV part). */
export type IdentityColumns = Pick<
  PatientRecord,
  'birthName' | 'usedName' | 'firstNames' | 'birthDate' | 'sex' | 'birthplaceCode' | 'ins' | 'insOid' | 'identityStatus'
>;

export const NO_IDENTITY: IdentityColumns = {
  birthName: null,
  usedName: null,
  firstNames: [],
  birthDate: null,
  sex: null,
  birthplaceCode: null,
  ins: null,
  insOid: null,
  identityStatus: 'provisional',
};

/**
 * The columns an identity of a request sets. The INS is three-state, because a view never shows an
 * INS that is not qualified (so a client cannot send it back): absent → the recorded INS stays;
 * null → removed; given → replaced. Every other trait is replaced as given.
 */
export function identityColumns(input: IdentityDto, recorded: Pick<IdentityColumns, 'ins' | 'insOid'>, today: string): IdentityColumns {
  if (input.birthDate > today) throw AppError.validation('birthDate must not be in the future', { fields: ['identity.birthDate'] });
  const ins = input.ins === undefined ? { ins: recorded.ins, insOid: recorded.insOid } : input.ins === null ? { ins: null, insOid: null } : { ins: input.ins.value, insOid: input.ins.oid };
  const columns: IdentityColumns = {
    birthName: input.birthName,
    usedName: input.usedName ?? null,
    firstNames: input.firstNames,
    birthDate: input.birthDate,
    sex: input.sex,
    birthplaceCode: input.birthplaceCode ?? null,
    ...ins,
    identityStatus: input.status,
  };
  requireConsistent(columns);
  return columns;
}

/** RNIV: a status only with what it vouches for (libs/domain identityProblems) → 400 IDENTITY_INCOMPLETE. */
export function requireConsistent(identity: PatientIdentity): void {
  const problems = identityProblems(identity);
  if (problems.length === 0) return;
  const text = problems
    .map((p) =>
      p === 'traits-missing'
        ? 'birth name, first names, birth date, sex and birthplace code'
        : p === 'ins-missing'
          ? 'an INS'
          : 'the INS assigning authority (oid)',
    )
    .join(' and ');
  throw new AppError('IDENTITY_INCOMPLETE', `status ${identity.identityStatus} requires ${text}`, { status: identity.identityStatus, problems });
}

/** The INS of a create request's shorthand `ins` (a NIR). */
export function shorthandIns(ins: string | undefined): Pick<IdentityColumns, 'ins' | 'insOid'> {
  return ins ? { ins, insOid: INS_OID_NIR } : { ins: null, insOid: null };
}

/** The identity as the views show it: the INS only through shareableIns (qualified). */
export function identityView(p: IdentityColumns): IdentityView {
  const ins = shareableIns(p);
  return {
    ...(p.birthName !== null ? { birthName: p.birthName } : {}),
    ...(p.usedName !== null ? { usedName: p.usedName } : {}),
    firstNames: p.firstNames,
    ...(p.birthDate !== null ? { birthDate: p.birthDate } : {}),
    ...(p.sex !== null ? { sex: p.sex } : {}),
    ...(p.birthplaceCode !== null ? { birthplaceCode: p.birthplaceCode } : {}),
    ...(ins ? { ins } : {}),
    insRecorded: p.ins !== null,
    status: p.identityStatus,
  };
}

/** Which identity fields a change touches (names only: the audit log never holds the values). */
export function changedIdentityFields(before: IdentityColumns, after: IdentityColumns): string[] {
  return (Object.keys(after) as (keyof IdentityColumns)[]).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}
