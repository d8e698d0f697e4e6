-- Patient identity as the RNIV (référentiel national d'identitovigilance) records it, and the
-- identity status that decides whether the INS may leave the product (CONTRACT §8): only a
-- `qualified` identity's INS is exported, printed or sent; otherwise the display name and the
-- local id are used. Existing patients start `provisional`, whatever INS they carry: nobody has
-- checked their identity against an identity document and the INSi teleservice yet.
ALTER TABLE patients
  ADD COLUMN birth_name       text CHECK (length(birth_name) BETWEEN 1 AND 100),
  ADD COLUMN used_name        text CHECK (length(used_name) BETWEEN 1 AND 100),
  ADD COLUMN first_names      text[] NOT NULL DEFAULT '{}',
  ADD COLUMN birth_date       date,
  ADD COLUMN sex              text CHECK (sex IN ('F', 'M', 'U')),
  -- INSEE code of the birthplace (commune, or 99xxx for a country abroad).
  ADD COLUMN birthplace_code  text CHECK (birthplace_code ~ '^[0-9][0-9AB][0-9]{3}$'),
  -- OID of the INS's assigning authority: NIR 1.2.250.1.213.1.4.8, NIA 1.2.250.1.213.1.4.9.
  ADD COLUMN ins_oid          text CHECK (ins_oid IN ('1.2.250.1.213.1.4.8', '1.2.250.1.213.1.4.9')),
  ADD COLUMN identity_status  text NOT NULL DEFAULT 'provisional'
    CHECK (identity_status IN ('provisional', 'recovered', 'validated', 'qualified')),
  -- A qualified identity has an INS (RNIV: qualification is the INS checked with the INSi service).
  ADD CONSTRAINT patients_qualified_has_ins CHECK (identity_status <> 'qualified' OR (ins IS NOT NULL AND ins_oid IS NOT NULL));
