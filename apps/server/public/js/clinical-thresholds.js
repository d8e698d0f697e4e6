// The thresholds form renders whatever GET /api/patients/:id/thresholds returns:
// - { defaults, overrides, effective, ... } with one object of parameters per rule (the rules
//   module's shape): one fieldset per rule, one input per parameter, prefilled with the effective
//   value (placeholder: the profile default); the PUT body is the overrides (values that differ
//   from the default), a parameter put back to its default is dropped;
// - or a flat object of numbers: one input per key, PUT back as the same flat object.
import { cell } from './clinical-tables.js';
import { ruleLabel } from './format.js';

// Parameters the server says may not be changed now (view.locked: device.silent while the
// patient is under telemonitoring): shown checked and disabled, with the reason.
// Clinical labels where this form has them (the silent-device alert); other parameters keep their names.
const PARAM_LABELS = { 'device.silent': { enabled: 'Alert on', infoAfterHours: 'Information after (hours without data)', warningAfterHours: 'Warning after (hours without data)' } };
const lockOf = (view, rule, param) => (Array.isArray(view?.locked) ? view.locked.find((l) => l.rule === rule && l.parameter === param) : undefined);

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

function input(name, value, placeholder) {
  const e = document.createElement('input');
  e.name = name;
  if (typeof value === 'boolean') {
    e.type = 'checkbox';
    e.checked = value;
    e.dataset.kind = 'boolean';
  } else {
    e.type = 'number';
    e.step = 'any';
    e.value = value === null || value === undefined ? '' : String(value);
    if (placeholder !== undefined) e.placeholder = String(placeholder);
    e.dataset.kind = 'number';
  }
  return e;
}

export function renderThresholdsForm(form, view) {
  form.replaceChildren();
  const nested = isObject(view?.effective) && Object.values(view.effective).every(isObject);
  if (nested) {
    for (const [rule, params] of Object.entries(view.effective)) {
      const fieldset = document.createElement('fieldset');
      fieldset.dataset.rule = rule;
      fieldset.append(cell('legend', ruleLabel(rule)));
      for (const [param, value] of Object.entries(params)) {
        if (typeof value !== 'number' && typeof value !== 'boolean') continue;
        const label = document.createElement('label');
        const lock = lockOf(view, rule, param);
        const overridden = view.overrides?.[rule]?.[param] !== undefined;
        const field = input(`${rule}\u0000${param}`, value, view.defaults?.[rule]?.[param]);
        if (lock) {
          field.disabled = true;
          field.dataset.locked = 'true';
          label.append('Alert on (locked) ', field);
          fieldset.append(label, cell('p', lock.reason, 'locked-reason'));
          continue;
        }
        label.append(`${PARAM_LABELS[rule]?.[param] ?? param}${overridden ? ' *' : ''} `, field);
        fieldset.append(label);
      }
      form.append(fieldset);
    }
    form.append(cell('p', '* set for this patient (others: profile default).', 'muted'));
  } else if (isObject(view)) {
    for (const [key, value] of Object.entries(view)) {
      if (typeof value !== 'number') continue;
      const label = document.createElement('label');
      label.append(`${key} `, input(key, value));
      form.append(label);
    }
  }
  const button = document.createElement('button');
  button.type = 'submit';
  button.textContent = 'Save thresholds';
  form.append(button);
}

export function thresholdsBody(form, view) {
  const nested = isObject(view?.effective) && Object.values(view.effective).every(isObject);
  const body = {};
  for (const e of form.querySelectorAll('input')) {
    const value = e.dataset.kind === 'boolean' ? e.checked : e.value === '' ? null : Number(e.value);
    if (!nested) {
      if (value !== null) body[e.name] = value;
      continue;
    }
    const [rule, param] = e.name.split('\u0000');
    const fallback = view.defaults?.[rule]?.[param];
    if (value === null || value === fallback) continue;
    body[rule] = { ...(body[rule] ?? {}), [param]: value };
  }
  return body;
}
