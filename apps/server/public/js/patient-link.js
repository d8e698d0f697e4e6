// The link to a patient's page, as every list of patients shows it (console alerts, console
// patient list, population view).
export function patientPageLink(patientId, text) {
  const link = document.createElement('a');
  link.href = `/patient.html?patient=${encodeURIComponent(patientId)}`;
  link.textContent = text;
  return link;
}
