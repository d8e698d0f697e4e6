// The console's patient list (GET /api/telemonitoring/patients): for each patient of the nurse's
// care teams, whether alerts are on (an active episode of telemonitoring), the data transmission of
// the episode's current month against the check (more than half of the days with data), and the
// last review, flagged when overdue (the operator's cadence). No DOM outside `container`.

import { patientPageLink } from './patient-link.js';

const pct = (ratio) => `${Math.round(ratio * 100)} %`;

function dateOnly(iso) {
  return new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

function td(tr, text, className) {
  const cell = document.createElement('td');
  cell.textContent = text;
  if (className) cell.className = className;
  tr.append(cell);
  return cell;
}

function flag(cell, text, kind) {
  const span = document.createElement('span');
  span.className = `flag flag-${kind}`;
  span.textContent = text;
  cell.append(document.createElement('br'), span);
}

/** Patients needing attention first: alerts off, below the transmission check, review overdue; then by name. */
function order(a, b) {
  const weight = (r) => (r.alertsOn ? 0 : 4) + (r.belowTransmissionCheck ? 2 : 0) + (r.reviewOverdue ? 1 : 0);
  return weight(b) - weight(a) || a.displayName.localeCompare(b.displayName);
}

export function renderPatientList(tbody, rows) {
  tbody.replaceChildren();
  for (const r of [...rows].sort(order)) {
    const tr = tbody.insertRow();
    tr.dataset.patientId = r.patientId;
    const name = document.createElement('th');
    name.scope = 'row';
    name.append(patientPageLink(r.patientId, r.displayName));
    tr.append(name);

    const monitoring = td(tr, r.alertsOn ? `Since ${r.episode.startDate} — alerts on` : '', 'monitoring');
    if (!r.alertsOn) {
      monitoring.textContent = 'No active episode — alerts off';
      monitoring.classList.add('alerts-off');
    }

    const transmission = td(tr, '', 'transmission');
    if (r.compliance && r.compliance.days > 0) {
      const c = r.compliance;
      transmission.textContent = `Month ${c.month}: data on ${c.daysWithData} of ${c.days} days (${pct(c.ratio)})`;
      if (r.belowTransmissionCheck) flag(transmission, 'Below the transmission check', 'compliance');
    } else transmission.textContent = '—';

    const review = td(tr, r.lastReviewAt ? `Last review ${dateOnly(r.lastReviewAt)}` : 'No review yet', 'review');
    if (r.reviewOverdue) flag(review, 'Review overdue', 'review');
    else if (r.reviewDueAt) review.title = `Next review due ${dateOnly(r.reviewDueAt)}`;
  }
}

/** How many patients carry each flag (for the section heading). */
export function summary(rows) {
  const below = rows.filter((r) => r.belowTransmissionCheck).length;
  const overdue = rows.filter((r) => r.reviewOverdue).length;
  const off = rows.filter((r) => !r.alertsOn).length;
  const parts = [`${rows.length} patient${rows.length === 1 ? '' : 's'}`];
  if (off) parts.push(`${off} with alerts off`);
  if (below) parts.push(`${below} below the transmission check`);
  if (overdue) parts.push(`${overdue} review${overdue === 1 ? '' : 's'} overdue`);
  return parts.join(' · ');
}
