declare const patientScopeBrand: unique symbol;

/**
 * Proof, checked by the compiler, that the current code may read or write one patient's data.
 *
 * Repositories of patient data take a PatientScope, never a bare patient id, so no endpoint can
 * reach them without going through the care-team check: the only way to get one is
 * PatientAccessService (requireVisible, listVisible: a professional of one of the patient's care
 * teams; the VisiblePatient it returns is a PatientScope). issuePatientScope may be imported only
 * inside apps/server/src/access (.dependency-cruiser.cjs). The rules engine and the scheduler read
 * through their own repository (RuleDataRepository): no person is asking there.
 * The brand exists only in the type system: nothing of it is at run time.
 */
export interface PatientScope {
  readonly id: string;
  readonly [patientScopeBrand]: true;
}

/** Only for PatientAccessService (the dependency rules keep it inside apps/server/src/access). */
export function issuePatientScope<T extends { id: string }>(patient: T): T & PatientScope {
  return patient as T & PatientScope;
}
