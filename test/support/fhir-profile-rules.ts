/**
 * Profile rules of the profiles this server claims in meta.profile, as read from their FSH
 * sources (versions and commits in docs/fhir.md), checked on the JSON it produces. Each rule cites
 * the FSH file and the rule it comes from; a resource that claims a profile this checker has no
 * rules for is a problem too (a claim nobody checks is not a conformance). Used with
 * fhir-r4-check.ts (structure, cardinalities and bindings of R4 itself).
 *
 * Rules are element paths with FHIR's own cardinality and fixed-value semantics: `1..` means at
 * least one value, a primitive also counts when present only as `_element` (extensions such as
 * data-absent-reason), `= x` means every value at that path is x.
 */
type Json = unknown;
type Obj = Record<string, Json>;

const isObject = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Values at a dotted path, arrays flattened at each step (FHIRPath-like). `_x` counts for x. */
function at(value: Json, path: string): Json[] {
  let current: Json[] = [value];
  for (const step of path.split('.')) {
    const next: Json[] = [];
    for (const v of current) {
      if (!isObject(v)) continue;
      const x = v[step] ?? v[`_${step}`];
      if (Array.isArray(x)) next.push(...x);
      else if (x !== undefined) next.push(x);
    }
    current = next;
  }
  return current;
}

interface Rule {
  /** FSH source and the rule text, e.g. `MesFrObservationOxygenSat.fsh: * code.coding 1..`. */
  cite: string;
  /** A problem, or null. */
  check(resource: Obj): string | null;
}

const min = (path: string, n: number, cite: string): Rule => ({
  cite,
  check: (r) => (at(r, path).length >= n ? null : `${path}: at least ${n} required`),
});
const max = (path: string, n: number, cite: string): Rule => ({
  cite,
  check: (r) => (at(r, path).length <= n ? null : `${path}: at most ${n} allowed`),
});
const fixed = (path: string, value: string, cite: string): Rule => ({
  cite,
  check: (r) => {
    const bad = at(r, path).filter((v) => v !== value);
    return bad.length === 0 ? null : `${path}: must be ${value}, found ${bad.join(', ')}`;
  },
});
/** Within each element at `path` (slice of `where`), `rules` hold; and `minCount` such elements exist. */
function slice(path: string, name: string, where: (e: Obj) => boolean, minCount: number, maxCount: number, rules: Rule[], cite: string): Rule {
  return {
    cite,
    check: (r) => {
      const members = at(r, path).filter((e): e is Obj => isObject(e) && where(e));
      if (members.length < minCount) return `${path}[${name}]: at least ${minCount} required, found ${members.length}`;
      if (members.length > maxCount) return `${path}[${name}]: at most ${maxCount} allowed, found ${members.length}`;
      for (const m of members) {
        for (const rule of rules) {
          const p = rule.check(m);
          if (p) return `${path}[${name}].${p} (${rule.cite})`;
        }
      }
      return null;
    },
  };
}
const referenceTo = (path: string, type: string, cite: string): Rule => ({
  cite,
  check: (r) => {
    const bad = at(r, `${path}.reference`).filter((ref) => typeof ref !== 'string' || !ref.startsWith(`${type}/`));
    return bad.length === 0 ? null : `${path}: must reference a ${type}, found ${bad.join(', ')}`;
  },
});
const onlyChoice = (prefix: string, allowed: string[], cite: string): Rule => ({
  cite,
  check: (r) => {
    const bad = Object.keys(r).filter((k) => k.startsWith(prefix) && /^[A-Z]/.test(k.slice(prefix.length)) && !allowed.includes(k));
    return bad.length === 0 ? null : `${prefix}[x]: only ${allowed.join(', ')}, found ${bad.join(', ')}`;
  },
});
const hasCoding = (path: string, system: string, code: string) => (r: Obj) => at(r, `${path}.coding`).some((c) => isObject(c) && c.system === system && c.code === code);
const codingRule = (path: string, system: string, code: string, cite: string): Rule => ({
  cite,
  check: (r) => (hasCoding(path, system, code)(r) ? null : `${path}: a coding ${system}|${code} is required`),
});

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const MDC = 'urn:iso:std:iso:11073:10101';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

const isVsCategory = (c: Obj) => at(c, 'coding').some((x) => isObject(x) && x.system === OBS_CATEGORY && x.code === 'vital-signs');

const VS = 'R4 vitalsigns (hl7.org/fhir/R4/vitalsigns)';
/** R4 base vital-signs profile: the parent of every Observation profile below. */
const vitalSigns: Rule[] = [
  min('status', 1, `${VS}: status 1..1`),
  min('code', 1, `${VS}: code 1..1`),
  slice('category', 'VSCat', (c) => isVsCategory(c), 1, 1, [], `${VS}: category contains VSCat 1..1 (observation-category#vital-signs)`),
  min('subject', 1, `${VS}: subject 1..1`),
  referenceTo('subject', 'Patient', `${VS}: subject only Reference(Patient)`),
  { cite: `${VS}: effective[x] 1..1 (dateTime | Period)`, check: (r) => ('effectiveDateTime' in r || 'effectivePeriod' in r ? null : 'effective[x]: required') },
  min('meta.source', 1, 'RuleSet-observations.fsh / Mes*.fsh: * meta.source ^short = "Uri identifiant les systèmes tiers ayant envoyé la ressource"'),
  {
    cite: `${VS}: valueQuantity.value 1..1, .system 1..1 = ${UCUM}, .code 1..1`,
    check: (r) => {
      const q = r.valueQuantity;
      if (q === undefined) return null;
      return isObject(q) && typeof q.value === 'number' && q.system === UCUM && typeof q.code === 'string' ? null : 'valueQuantity: value, UCUM system and code required';
    },
  },
  {
    cite: `${VS}: vs-2 (value[x], dataAbsentReason, component or hasMember)`,
    check: (r) => (Object.keys(r).some((k) => /^value[A-Z]/.test(k)) || 'dataAbsentReason' in r || 'component' in r || 'hasMember' in r ? null : 'vs-2: no value'),
  },
  {
    cite: `${VS}: vs-3 (component: value[x] or dataAbsentReason)`,
    check: (r) => (at(r, 'component').every((c) => isObject(c) && (Object.keys(c).some((k) => /^value[A-Z]/.test(k)) || 'dataAbsentReason' in c)) ? null : 'vs-3: a component without value'),
  },
];

/** The parents' per-sign code and unit (R4 oxygensat, heartrate, resprate). */
function sign(profile: string, loinc: string, unit: string): Rule[] {
  return [
    codingRule('code', LOINC, loinc, `R4 ${profile}: code.coding contains ${LOINC}#${loinc}`),
    fixed('valueQuantity.code', unit, `R4 ${profile}: valueQuantity.code = #${unit}`),
  ];
}

const VS_CAT_DISPLAY = (file: string): Rule => ({
    cite: `${file}: * category[VSCat].coding.display = "vital-signs"`,
    check: (r: Obj) => {
      const vs = at(r, 'category.coding').filter((c): c is Obj => isObject(c) && c.system === OBS_CATEGORY && c.code === 'vital-signs');
      return vs.every((c) => c.display === 'vital-signs') ? null : 'category[VSCat].coding.display: must be "vital-signs"';
    },
  });

const PHD_REF = (file: string) => referenceTo('device', 'Device', `${file}: * device only Reference($PhdDevice)`);

const OXY = 'MesFrObservationOxygenSat.fsh';
const RR = 'MesFrObservationRespRate.fsh';
const HR = 'MesFrObservationHeartrate.fsh';
const PHD = 'HL7/phd StructureDefinition.PhdDevice.fsh (R4)';
const FRP = 'FRCorePatientProfile.fsh';
const FRI = 'FRCorePatientINSProfile.fsh';
const FR_CS_0203 = 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203';
const RELIABILITY = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability';

const byUse = (use: string) => (e: Obj) => e.use === use;
const byIdentifierType = (system: string, code: string) => (e: Obj) => hasCoding('type', system, code)(e);

const frCorePatient: Rule[] = [
  slice(
    'identifier',
    'PI',
    byIdentifierType('http://terminology.hl7.org/CodeSystem/v2-0203', 'PI'),
    0,
    Infinity,
    [fixed('use', 'usual', `${FRP}: * identifier[PI].use = #usual`), min('system', 1, `${FRP}: * identifier[PI].system 1..`), min('value', 1, `${FRP}: * identifier[PI].value 1..`)],
    `${FRP}: * identifier contains PI 0..*`,
  ),
  slice(
    'name',
    'officialName',
    byUse('official'),
    0,
    Infinity,
    [min('family', 1, `${FRP}: * name[officialName].family 1..`), min('given', 1, `${FRP}: * name[officialName].given 1..`)],
    `${FRP}: * name contains officialName 0..*`,
  ),
  slice(
    'extension',
    'identityReliability',
    (e) => e.url === RELIABILITY,
    0,
    Infinity,
    [
      {
        cite: 'FRCorePatientIdentityReliabilityExtension: * extension[identityStatus].value[x] from FRCoreValueSetIdentityStatus (required)',
        check: (e) =>
          at(e, 'extension')
            .filter((x): x is Obj => isObject(x) && x.url === 'identityStatus')
            .every((x) => isObject(x.valueCoding) && x.valueCoding.system === 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status' && ['PROV', 'RECUP', 'VALI', 'QUAL'].includes(x.valueCoding.code as string))
            ? null
            : 'identityStatus: PROV | RECUP | VALI | QUAL of fr-core-cs-identity-status',
      },
    ],
    `${FRP}: * extension contains FRCorePatientIdentityReliabilityExtension named identityReliability 0..*`,
  ),
  {
    cite: `${FRI} (description): "Le matricule INS ne peut être véhiculé que dans le cas d'une identité qualifiée" — no INS OID outside fr-core-patient-ins`,
    check: (r) => {
      const claims = at(r, 'meta.profile').includes('https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins');
      const ins = at(r, 'identifier.system').some((s) => s === 'urn:oid:1.2.250.1.213.1.4.8' || s === 'urn:oid:1.2.250.1.213.1.4.9');
      return ins && !claims ? 'identifier: an INS in a Patient that is not fr-core-patient-ins' : null;
    },
  },
];

const frCorePatientIns: Rule[] = [
  ...frCorePatient,
  min('extension', 1, `${FRI}: * extension[identityReliability] 1..*`),
  slice('extension', 'identityReliability', (e) => e.url === RELIABILITY, 1, Infinity, [], `${FRI}: * extension[identityReliability] 1..*`),
  slice(
    'extension',
    'birthPlace',
    (e) => e.url === 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace',
    1,
    1,
    [slice('valueAddress.extension', 'inseeCode', (e) => e.url === 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code', 1, 1, [], `${FRI}: * extension[birthPlace].valueAddress.extension[inseeCode] 1..1`)],
    `${FRI}: * extension[birthPlace] 1..1`,
  ),
  min('identifier', 1, `${FRI}: * identifier 1..`),
  slice(
    'identifier',
    'INS-NIR',
    byIdentifierType(FR_CS_0203, 'INS-NIR'),
    0,
    Infinity,
    [
      min('use', 1, `${FRI}: * identifier[INS-NIR].use 1..`),
      fixed('system', 'urn:oid:1.2.250.1.213.1.4.8', `${FRI}: * identifier[INS-NIR].system = "urn:oid:1.2.250.1.213.1.4.8"`),
      min('value', 1, `${FRI}: * identifier[INS-NIR].value 1..`),
    ],
    `${FRI}: * identifier contains INS-NIR 0..*; * identifier[INS-NIR].type = $fr-core-v2-0203#INS-NIR`,
  ),
  slice(
    'identifier',
    'INS-NIA',
    byIdentifierType(FR_CS_0203, 'INS-NIA'),
    0,
    Infinity,
    [
      fixed('use', 'temp', `${FRI}: * identifier[INS-NIA].use = #temp`),
      fixed('system', 'urn:oid:1.2.250.1.213.1.4.9', `${FRI}: * identifier[INS-NIA].system = "urn:oid:1.2.250.1.213.1.4.9"`),
      min('value', 1, `${FRI}: * identifier[INS-NIA].value 1..`),
    ],
    `${FRI}: * identifier contains INS-NIA 0..*`,
  ),
  {
    cite: `${FRI}: fr-core-1 (an INS identifier: NIR official or NIA temp)`,
    check: (r) =>
      at(r, 'identifier').some((i) => isObject(i) && ((i.system === 'urn:oid:1.2.250.1.213.1.4.8' && i.use === 'official') || (i.system === 'urn:oid:1.2.250.1.213.1.4.9' && i.use === 'temp')))
        ? null
        : 'identifier: no INS-NIR (official) or INS-NIA (temp)',
  },
  { cite: `${FRI}: fr-core-2 (only one official identifier)`, check: (r) => (at(r, 'identifier').filter((i) => isObject(i) && i.use === 'official').length <= 1 ? null : 'identifier: more than one official') },
  min('gender', 1, `${FRI}: * gender 1..1 MS`),
  max('gender', 1, `${FRI}: * gender 1..1 MS`),
  min('birthDate', 1, `${FRI}: * birthDate 1.. MS`),
  slice(
    'name',
    'officialName',
    byUse('official'),
    1,
    1,
    [
      min('given', 1, `${FRI}: * name[officialName].given 1..1`),
      max('given', 1, `${FRI}: * name[officialName].given 1..1`),
      slice('extension', 'birth-list-given-name', (e) => e.url === 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-list-given-name', 1, 1, [], `${FRI}: * name[officialName].extension[birth-list-given-name] 1..1 MS`),
    ],
    `${FRI}: * name[officialName] 1..1 MS`,
  ),
];

const phdDevice: Rule[] = [
  min('meta.source', 1, 'this server: every exported resource names its source system'),
  min('identifier', 1, `${PHD}: * identifier 1..`),
  min('manufacturer', 1, `${PHD}: * manufacturer 1..`),
  min('modelNumber', 1, `${PHD}: * modelNumber 1..`),
  min('type', 1, `${PHD}: * type 1..`),
  slice('type.coding', 'MDCType', (c) => c.system === MDC, 1, 1, [fixed('code', '65573', `${PHD}: * type.coding[MDCType].code = #65573 (exactly)`)], `${PHD}: * type.coding contains MDCType 1..1`),
  min('specialization', 1, `${PHD}: * specialization 1..`),
  slice(
    'specialization',
    'MDCType',
    (s) => at(s, 'systemType.coding').some((c) => isObject(c) && c.system === MDC),
    1,
    Infinity,
    [min('systemType.coding', 1, `${PHD}: * specialization[MDCType].systemType.coding 1..`), min('version', 1, `${PHD}: * specialization[MDCType].version 1..`)],
    `${PHD}: * specialization contains MDCType 1..`,
  ),
  slice(
    'version',
    'MDCType',
    (v) => at(v, 'type.coding').some((c) => isObject(c) && c.system === MDC),
    1,
    Infinity,
    [max('component', 0, `${PHD}: * version[MDCType].component ..0`), min('value', 1, 'R4 Device.version.value 1..1')],
    `${PHD}: * version contains MDCType 1..*`,
  ),
];

const FEED = 'MesBundleFluxAlimentation.fsh';
const FEED_OBSERVATION_PROFILES = [
  'mesures-fr-observation-bmi',
  'mesures-fr-observation-bodyheight',
  'mesures-fr-observation-body-temperature',
  'mesures-fr-observation-body-weight',
  'mesures-fr-observation-bp',
  'mesures-fr-observation-heartrate',
  'mesures-observation-glucose',
  'mesures-observation-head-circumference',
  'mesures-observation-pain-severity',
  'mesures-observation-steps-by-day',
  'mesures-observation-waist-circumference',
  'mesures-fr-observation-oxygen-sat',
].map((id) => `https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/${id}`);
const byRequestUrl = (url: string) => (e: Obj) => isObject(e.request) && e.request.url === url;
const claims = (profiles: string[]) => (e: Obj) => at(e, 'resource.meta.profile').some((p) => profiles.includes(p as string));

const feedBundle: Rule[] = [
  fixed('type', 'transaction', `${FEED}: * type = #transaction`),
  slice(
    'entry',
    'mes-observation',
    byRequestUrl('Observation'),
    1,
    1,
    [
      fixed('request.method', 'POST', `${FEED}: * entry[mes-observation].request.method = #POST`),
      { cite: `${FEED}: * entry[mes-observation].resource only mesures-fr-observation-… or mesures-fr-observation-oxygen-sat`, check: (e) => (claims(FEED_OBSERVATION_PROFILES)(e) ? null : 'resource: not one of the feed\'s Observation profiles') },
    ],
    `${FEED}: * entry contains mes-observation 1..1`,
  ),
  slice(
    'entry',
    'mes-device',
    byRequestUrl('Device'),
    0,
    1,
    [
      fixed('request.method', 'POST', `${FEED}: * entry[mes-device].request.method = #POST`),
      { cite: `${FEED}: * entry[mes-device].resource only $PhdDevice`, check: (e) => (claims(['http://hl7.org/fhir/uv/phd/StructureDefinition/PhdDevice'])(e) ? null : 'resource: not a PhdDevice') },
    ],
    `${FEED}: * entry contains mes-device 0..1`,
  ),
];

export const PROFILE_RULES: Record<string, Rule[]> = {
  'https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-bundle-flux-alimentation': feedBundle,
  'https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-fr-observation-oxygen-sat': [
    ...vitalSigns,
    ...sign('oxygensat', '2708-6', '%'),
    min('code.coding', 1, `${OXY}: * code.coding 1..`),
    max('partOf', 1, `${OXY}: * partOf ..1 MS`),
    referenceTo('subject', 'Patient', `${OXY}: * subject only Reference(Patient or FRCorePatientProfile)`),
    onlyChoice('value', ['valueQuantity'], `${OXY}: * value[x] ^slicing.rules = #closed (oxygensat: valueQuantity)`),
    slice('method', 'method', () => true, 0, 1, [min('coding.system', 1, `${OXY}: * method.coding.system 1..`), min('coding.code', 1, `${OXY}: * method.coding.code 1..`)], `${OXY}: * method MS`),
    VS_CAT_DISPLAY(OXY),
    PHD_REF(OXY),
  ],
  'https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-fr-observation-resp-rate': [
    ...vitalSigns,
    ...sign('resprate', '9279-1', '/min'),
    min('code', 1, `${RR}: * code 1..1`),
    max('code', 1, `${RR}: * code 1..1`),
    onlyChoice('value', ['valueQuantity'], `${RR}: * value[x] ^slicing.rules = #closed (resprate: valueQuantity)`),
    VS_CAT_DISPLAY(RR),
    PHD_REF(RR),
  ],
  'https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-fr-observation-heartrate': [
    ...vitalSigns,
    ...sign('heartrate', '8867-4', '/min'),
    onlyChoice('value', ['valueQuantity'], `${HR}: * value[x] only Quantity`),
    {
      cite: `${HR}: * dataAbsentReason.coding.system 1.. / .code 1..`,
      check: (r) => (r.dataAbsentReason === undefined || (min('dataAbsentReason.coding.system', 1, '').check(r) === null && min('dataAbsentReason.coding.code', 1, '').check(r) === null) ? null : 'dataAbsentReason.coding: system and code required'),
    },
    PHD_REF(HR),
  ],
  'http://hl7.org/fhir/StructureDefinition/vitalsigns': vitalSigns,
  'http://hl7.org/fhir/uv/phd/StructureDefinition/PhdDevice': phdDevice,
  'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient': frCorePatient,
  'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins': frCorePatientIns,
};

/** Resource types whose every instance must claim a profile this checker knows. */
const MUST_CLAIM = new Set(['Observation', 'Patient', 'Device']);

/** Problems of one resource (and of a Bundle's entries) against the rules of the profiles it claims. */
export function profileRuleProblems(resource: Json, path = '$'): string[] {
  const problems: string[] = [];
  if (!isObject(resource)) return [`${path}: not a resource`];
  if (resource.resourceType === 'Bundle') {
    at(resource, 'entry').forEach((e, i) => {
      if (isObject(e) && e.resource !== undefined) problems.push(...profileRuleProblems(e.resource, `${path}.entry[${i}].resource`));
    });
  }
  const claimed = at(resource, 'meta.profile').filter((p): p is string => typeof p === 'string');
  if (MUST_CLAIM.has(resource.resourceType as string) && claimed.length === 0) problems.push(`${path}: ${String(resource.resourceType)} claims no profile`);
  for (const profile of claimed) {
    const rules = PROFILE_RULES[profile];
    if (!rules) {
      problems.push(`${path}: claims ${profile}, which has no rules here`);
      continue;
    }
    for (const rule of rules) {
      const problem = rule.check(resource);
      if (problem) problems.push(`${path}: ${profile.split('/').pop()}: ${problem} (${rule.cite})`);
    }
  }
  return problems;
}
