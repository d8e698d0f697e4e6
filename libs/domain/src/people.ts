/** Professionals' roles. Admins manage the registry; they see no patient data through care teams. */
export const ROLES = ['nurse', 'physician', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Patient profile: hypercapnic patients (COPD, obesity hypoventilation, neuromuscular) have lower SpO2 targets. */
export const PATIENT_PROFILES = ['hypercapnic', 'standard'] as const;
export type PatientProfile = (typeof PATIENT_PROFILES)[number];

export const DEVICE_KINDS = ['oximeter', 'ventilator'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
