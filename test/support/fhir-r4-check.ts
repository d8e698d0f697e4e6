/**
 * A hand-written structural check of the FHIR R4 JSON this server produces (no FHIR validator
 * package is installed: see docs/fhir.md). It checks, for Bundle, Observation, Patient, Device,
 * OperationOutcome and CapabilityStatement: allowed and required elements, cardinalities, value
 * sets of the coded elements, primitive formats (id, uri, instant, dateTime, date, code), the JSON
 * rules (no null, no empty string, array or object), and for Observations the R4 vital-signs
 * profiles (oxygensat, heartrate, resprate). Returns the list of problems (empty = valid).
 */
type Json = unknown;
type Check = (value: Json, path: string, errors: string[]) => void;

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const URI = /^\S+$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DATETIME = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;
const DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const CODE = /^[^\s]+(\s[^\s]+)*$/;
const REFERENCE = /^([A-Za-z]+\/[A-Za-z0-9\-.]{1,64}|https?:\/\/\S+)$/;

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(pattern?: RegExp, values?: readonly string[]): Check {
  return (v, path, errors) => {
    if (typeof v !== 'string') return void errors.push(`${path}: expected a string`);
    if (pattern && !pattern.test(v)) errors.push(`${path}: "${v}" does not match ${pattern}`);
    if (values && !values.includes(v)) errors.push(`${path}: "${v}" not in [${values.join(', ')}]`);
  };
}
const num: Check = (v, path, errors) => void (typeof v !== 'number' || !Number.isFinite(v) ? errors.push(`${path}: expected a number`) : undefined);
const int: Check = (v, path, errors) => void (!Number.isInteger(v) ? errors.push(`${path}: expected an integer`) : undefined);
const bool: Check = (v, path, errors) => void (typeof v !== 'boolean' ? errors.push(`${path}: expected a boolean`) : undefined);

interface Field {
  check: Check;
  required?: boolean;
  array?: boolean;
}

function object(fields: Record<string, Field>, choice?: { prefix: string; required: boolean; types: Record<string, Check> }[]): Check {
  return (v, path, errors) => {
    if (!isObject(v)) return void errors.push(`${path}: expected an object`);
    for (const [key, value] of Object.entries(v)) {
      const field = fields[key];
      const choiceField = choice?.find((c) => key.startsWith(c.prefix) && key.slice(c.prefix.length) in c.types);
      if (!field && !choiceField) {
        errors.push(`${path}.${key}: element not allowed here`);
        continue;
      }
      const check = field?.check ?? choiceField!.types[key.slice(choiceField!.prefix.length)]!;
      if (field?.array) {
        if (!Array.isArray(value)) errors.push(`${path}.${key}: expected an array`);
        else value.forEach((item, i) => check(item, `${path}.${key}[${i}]`, errors));
      } else if (Array.isArray(value)) errors.push(`${path}.${key}: expected a single value, not an array`);
      else check(value, `${path}.${key}`, errors);
    }
    for (const [key, field] of Object.entries(fields)) if (field.required && !(key in v)) errors.push(`${path}.${key}: required`);
    for (const c of choice ?? []) {
      const present = Object.keys(v).filter((k) => k.startsWith(c.prefix) && k.slice(c.prefix.length) in c.types);
      if (present.length > 1) errors.push(`${path}: only one of ${present.join(', ')}`);
      if (c.required && present.length === 0) errors.push(`${path}.${c.prefix}[x]: required`);
    }
  };
}

const lazy = (f: () => Check): Check => (v, p, e) => f()(v, p, e);
const coding = object({ system: { check: str(URI) }, version: { check: str() }, code: { check: str(CODE) }, display: { check: str() }, userSelected: { check: bool } });
const codeableConcept = object({ coding: { check: coding, array: true }, text: { check: str() } });
const reference = object({ reference: { check: str(REFERENCE) }, type: { check: str(URI) }, display: { check: str() } });
const period = object({ start: { check: str(DATETIME) }, end: { check: str(DATETIME) } });
const quantity = object({ value: { check: num }, comparator: { check: str(undefined, ['<', '<=', '>=', '>']) }, unit: { check: str() }, system: { check: str(URI) }, code: { check: str(CODE) } });
const meta = object({ versionId: { check: str(ID) }, lastUpdated: { check: str(INSTANT) }, profile: { check: str(URI), array: true } });
const identifier = object({
  use: { check: str(undefined, ['usual', 'official', 'temp', 'secondary', 'old']) },
  type: { check: codeableConcept },
  system: { check: str(URI) },
  value: { check: str() },
});
const annotation = object({ text: { check: str(), required: true }, time: { check: str(DATETIME) } });
const VALUE_TYPES = { Quantity: quantity, CodeableConcept: codeableConcept, String: str(), Boolean: bool, Integer: int, Period: period, DateTime: str(DATETIME) };

const observation = object(
  {
    resourceType: { check: str(undefined, ['Observation']), required: true },
    id: { check: str(ID) },
    meta: { check: meta },
    identifier: { check: identifier, array: true },
    status: { check: str(undefined, ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown']), required: true },
    category: { check: codeableConcept, array: true },
    code: { check: codeableConcept, required: true },
    subject: { check: reference },
    issued: { check: str(INSTANT) },
    note: { check: annotation, array: true },
    device: { check: reference },
    method: { check: codeableConcept },
    component: {
      array: true,
      check: object({ code: { check: codeableConcept, required: true } }, [{ prefix: 'value', required: false, types: VALUE_TYPES }]),
    },
  },
  [
    { prefix: 'effective', required: false, types: { DateTime: str(DATETIME), Period: period, Instant: str(INSTANT) } },
    { prefix: 'value', required: false, types: VALUE_TYPES },
  ],
);

const patient = object({
  resourceType: { check: str(undefined, ['Patient']), required: true },
  id: { check: str(ID) },
  meta: { check: meta },
  identifier: { check: identifier, array: true },
  active: { check: bool },
  name: { check: object({ use: { check: str(CODE) }, text: { check: str() }, family: { check: str() }, given: { check: str(), array: true } }), array: true },
  gender: { check: str(undefined, ['male', 'female', 'other', 'unknown']) },
  birthDate: { check: str(DATE) },
  managingOrganization: { check: reference },
});

const device = object({
  resourceType: { check: str(undefined, ['Device']), required: true },
  id: { check: str(ID) },
  meta: { check: meta },
  identifier: { check: identifier, array: true },
  status: { check: str(undefined, ['active', 'inactive', 'entered-in-error', 'unknown']) },
  serialNumber: { check: str() },
  deviceName: {
    array: true,
    check: object({ name: { check: str(), required: true }, type: { check: str(undefined, ['udi-label-name', 'user-friendly-name', 'patient-reported-name', 'manufacturer-name', 'model-name', 'other']), required: true } }),
  },
  type: { check: codeableConcept },
  version: { check: object({ type: { check: codeableConcept }, value: { check: str(), required: true } }), array: true },
  patient: { check: reference },
});

const operationOutcome = object({
  resourceType: { check: str(undefined, ['OperationOutcome']), required: true },
  id: { check: str(ID) },
  issue: {
    array: true,
    required: true,
    check: object({
      severity: { check: str(undefined, ['fatal', 'error', 'warning', 'information']), required: true },
      code: { check: str(CODE), required: true },
      details: { check: codeableConcept },
      diagnostics: { check: str() },
    }),
  },
});

const capabilityStatement = object({
  resourceType: { check: str(undefined, ['CapabilityStatement']), required: true },
  status: { check: str(undefined, ['draft', 'active', 'retired', 'unknown']), required: true },
  date: { check: str(DATETIME), required: true },
  publisher: { check: str() },
  kind: { check: str(undefined, ['instance', 'capability', 'requirements']), required: true },
  software: { check: object({ name: { check: str(), required: true }, version: { check: str() } }) },
  implementation: { check: object({ description: { check: str(), required: true }, url: { check: str(URI) } }) },
  fhirVersion: { check: str(undefined, ['4.0.1']), required: true },
  format: { check: str(CODE), array: true, required: true },
  rest: {
    array: true,
    check: object({
      mode: { check: str(undefined, ['client', 'server']), required: true },
      security: { check: object({ description: { check: str() }, service: { check: codeableConcept, array: true } }) },
      resource: {
        array: true,
        check: object({
          type: { check: str(CODE), required: true },
          interaction: {
            array: true,
            check: object({ code: { check: str(undefined, ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type']), required: true } }),
          },
          searchParam: {
            array: true,
            check: object({
              name: { check: str(), required: true },
              type: { check: str(undefined, ['number', 'date', 'string', 'token', 'reference', 'composite', 'quantity', 'uri', 'special']), required: true },
              documentation: { check: str() },
            }),
          },
        }),
      },
    }),
  },
});

const bundle = object({
  resourceType: { check: str(undefined, ['Bundle']), required: true },
  id: { check: str(ID) },
  type: { check: str(undefined, ['document', 'message', 'transaction', 'transaction-response', 'batch', 'batch-response', 'history', 'searchset', 'collection']), required: true },
  timestamp: { check: str(INSTANT) },
  total: { check: int },
  link: { check: object({ relation: { check: str(), required: true }, url: { check: str(URI), required: true } }), array: true },
  entry: {
    array: true,
    check: object({
      fullUrl: { check: str(URI) },
      resource: { check: lazy(() => anyResource) },
      search: { check: object({ mode: { check: str(undefined, ['match', 'include', 'outcome']) }, score: { check: num } }) },
    }),
  },
});

const RESOURCES: Record<string, Check> = { Bundle: bundle, Observation: observation, Patient: patient, Device: device, OperationOutcome: operationOutcome, CapabilityStatement: capabilityStatement };

const anyResource: Check = (v, path, errors) => {
  const type = isObject(v) ? v.resourceType : undefined;
  const check = typeof type === 'string' ? RESOURCES[type] : undefined;
  if (!check) return void errors.push(`${path}: unknown or missing resourceType`);
  check(v, path, errors);
  if (type === 'Observation') vitalSigns(v as Record<string, Json>, path, errors);
};

/** FHIR JSON: no null, and no empty string, array or object anywhere. */
function noEmpty(v: Json, path: string, errors: string[]): void {
  if (v === null) errors.push(`${path}: null is not allowed`);
  else if (v === '') errors.push(`${path}: empty string`);
  else if (Array.isArray(v)) {
    if (v.length === 0) errors.push(`${path}: empty array`);
    v.forEach((x, i) => noEmpty(x, `${path}[${i}]`, errors));
  } else if (isObject(v)) {
    if (Object.keys(v).length === 0) errors.push(`${path}: empty object`);
    for (const [k, x] of Object.entries(v)) noEmpty(x, `${path}.${k}`, errors);
  }
}

const VITAL_PROFILES: Record<string, { loinc: string; unit: string }> = {
  'http://hl7.org/fhir/StructureDefinition/oxygensat': { loinc: '2708-6', unit: '%' },
  'http://hl7.org/fhir/StructureDefinition/heartrate': { loinc: '8867-4', unit: '/min' },
  'http://hl7.org/fhir/StructureDefinition/resprate': { loinc: '9279-1', unit: '/min' },
};

/** The R4 vital-signs profile constraints (vs-1..3 and the per-sign code and unit). */
function vitalSigns(o: Record<string, Json>, path: string, errors: string[]): void {
  const profiles = ((o.meta as { profile?: string[] } | undefined)?.profile ?? []).filter((p) => p in VITAL_PROFILES);
  for (const p of profiles) {
    const { loinc, unit } = VITAL_PROFILES[p]!;
    const categories = (o.category as { coding?: { system?: string; code?: string }[] }[] | undefined) ?? [];
    if (!categories.some((c) => c.coding?.some((x) => x.system === 'http://terminology.hl7.org/CodeSystem/observation-category' && x.code === 'vital-signs'))) {
      errors.push(`${path}: ${p} requires the vital-signs category`);
    }
    const codings = (o.code as { coding?: { system?: string; code?: string }[] } | undefined)?.coding ?? [];
    if (!codings.some((c) => c.system === 'http://loinc.org' && c.code === loinc)) errors.push(`${path}: ${p} requires LOINC ${loinc}`);
    if (!o.subject) errors.push(`${path}: vital signs require a subject`);
    if (!('effectiveDateTime' in o) && !('effectivePeriod' in o)) errors.push(`${path}: vital signs require effective[x]`);
    const q = o.valueQuantity as { system?: string; code?: string; value?: number } | undefined;
    if (q && (q.system !== 'http://unitsofmeasure.org' || q.code !== unit || typeof q.value !== 'number')) {
      errors.push(`${path}: ${p} requires a value in UCUM ${unit}`);
    }
    if (!q && !('dataAbsentReason' in o) && !('component' in o)) errors.push(`${path}: vital signs require a value or a dataAbsentReason`);
  }
}

export function fhirProblems(resource: Json): string[] {
  const errors: string[] = [];
  noEmpty(resource, '$', errors);
  anyResource(resource, '$', errors);
  return errors;
}
