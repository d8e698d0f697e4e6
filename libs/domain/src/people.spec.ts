import { describe, expect, it } from '@jest/globals';
import { identityProblems, INS_OID_NIR, shareableIns, type IdentityStatus, type PatientIdentity } from './people.js';

const complete: PatientIdentity = {
  birthName: 'DUPONT',
  usedName: null,
  firstNames: ['Marie', 'Jeanne'],
  birthDate: '1955-08-14',
  sex: 'F',
  birthplaceCode: '16802',
  ins: '255081416802538',
  insOid: INS_OID_NIR,
  identityStatus: 'qualified',
};

describe('shareableIns (only a qualified identity INS leaves the product)', () => {
  it.each<[IdentityStatus, boolean]>([
    ['provisional', false],
    ['recovered', false],
    ['validated', false],
    ['qualified', true],
  ])('%s → shared: %s', (identityStatus, shared) => {
    expect(shareableIns({ ...complete, identityStatus })).toEqual(shared ? { value: complete.ins, oid: INS_OID_NIR } : null);
  });

  it('a qualified status without an INS shares nothing', () => {
    expect(shareableIns({ ins: null, identityStatus: 'qualified' })).toBeNull();
  });
});

describe('identityProblems (RNIV conditions on a status)', () => {
  const noTraits = { birthName: null, firstNames: [], birthDate: null, sex: null, birthplaceCode: null };
  const noIns = { ins: null, insOid: null };
  it.each<[string, PatientIdentity, string[]]>([
    ['provisional with nothing', { ...complete, ...noTraits, ...noIns, identityStatus: 'provisional' }, []],
    ['validated with the five traits', { ...complete, ...noIns, identityStatus: 'validated' }, []],
    ['validated without traits', { ...complete, ...noTraits, identityStatus: 'validated' }, ['traits-missing']],
    ['validated without a birthplace', { ...complete, birthplaceCode: null, identityStatus: 'validated' }, ['traits-missing']],
    ['validated without first names', { ...complete, firstNames: [], identityStatus: 'validated' }, ['traits-missing']],
    ['recovered with an INS', { ...complete, ...noTraits, identityStatus: 'recovered' }, []],
    ['recovered without an INS', { ...complete, ...noIns, identityStatus: 'recovered' }, ['ins-missing']],
    ['recovered without the OID', { ...complete, insOid: null, identityStatus: 'recovered' }, ['ins-oid-missing']],
    ['qualified, complete', complete, []],
    ['qualified without an INS', { ...complete, ...noIns, identityStatus: 'qualified' }, ['ins-missing']],
    ['qualified without the traits', { ...complete, ...noTraits, identityStatus: 'qualified' }, ['traits-missing']],
    ['qualified with nothing', { ...complete, ...noTraits, ...noIns, identityStatus: 'qualified' }, ['traits-missing', 'ins-missing']],
  ])('%s → %j', (_name, identity, problems) => {
    expect(identityProblems(identity)).toEqual(problems);
  });
});
