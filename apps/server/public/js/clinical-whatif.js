// The thresholds what-if on the patient page: while the physician edits the form, the settings
// are replayed on the patient's last 30 days (POST /api/patients/:id/thresholds/preview, saves
// nothing) and the page says how many alerts they would have raised, next to today's settings,
// with a small timeline of both. The text (previewSummary) and the geometry (timelineGeometry)
// are pure and unit-tested (apps/server/src/alerts/clinical-whatif.spec.ts).
const SVG = 'http://www.w3.org/2000/svg';

const total = (counts) => Object.values(counts ?? {}).reduce((a, n) => a + n, 0);
const alerts = (n) => `${n} alert${n === 1 ? '' : 's'}`;

/** "These settings: 3 alerts in 30 days, today's: 41." */
export function previewSummary(preview) {
  return `These settings: ${alerts(total(preview.proposed))} in ${preview.days} days, today's: ${total(preview.current)}.`;
}

/** Per rule where the two differ: "Sustained low SpO2: 2 instead of 12". */
export function previewDifferences(preview) {
  const out = [];
  for (const rule of Object.keys(preview.current ?? {})) {
    const now = preview.current[rule] ?? 0;
    const then = preview.proposed?.[rule] ?? 0;
    if (now !== then) out.push(`${preview.labels?.[rule] ?? rule}: ${then} instead of ${now}`);
  }
  return out;
}

/** Two rows of ticks (today's settings, these settings) on the period's time axis. */
export function timelineGeometry(preview, { width = 480, rowHeight = 18, pad = { left: 110, right: 8, top: 4, bottom: 16 } } = {}) {
  const fromMs = Date.parse(preview.from);
  const toMs = Date.parse(preview.to);
  const plotW = width - pad.left - pad.right;
  const x = (iso) => Math.round((pad.left + ((Date.parse(iso) - fromMs) / (toMs - fromMs)) * plotW) * 10) / 10;
  const rows = [
    { key: 'current', label: "Today's settings", list: preview.alerts?.current ?? [] },
    { key: 'proposed', label: 'These settings', list: preview.alerts?.proposed ?? [] },
  ].map((r, i) => ({ ...r, y: pad.top + i * rowHeight + rowHeight / 2, ticks: r.list.map((a) => ({ x: x(a.raisedAt), alert: a })) }));
  return { width, height: pad.top + rows.length * rowHeight + pad.bottom, pad, rows };
}

const el = (name, attrs = {}) => {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

export function renderWhatIf(container, preview) {
  container.replaceChildren();
  const line = document.createElement('p');
  line.className = 'whatif-line';
  line.id = 'whatif-line';
  line.textContent = previewSummary(preview);
  container.append(line);
  const diffs = previewDifferences(preview);
  if (diffs.length) {
    const list = document.createElement('ul');
    for (const d of diffs) list.append(Object.assign(document.createElement('li'), { textContent: d }));
    container.append(list);
  }
  const g = timelineGeometry(preview);
  const svg = el('svg', { viewBox: `0 0 ${g.width} ${g.height}`, width: g.width, height: g.height, role: 'img', class: 'whatif-timeline' });
  svg.setAttribute('aria-label', `Alerts over the last ${preview.days} days: today's settings ${total(preview.current)}, these settings ${total(preview.proposed)}`);
  for (const r of g.rows) {
    const label = el('text', { x: 4, y: r.y + 4, class: 'whatif-row-label' });
    label.textContent = r.label;
    svg.append(label, el('line', { x1: g.pad.left, x2: g.width - g.pad.right, y1: r.y, y2: r.y, class: 'whatif-track' }));
    for (const t of r.ticks) {
      const tick = el('rect', { x: t.x - 1, y: r.y - 6, width: 2, height: 12, class: `whatif-${r.key}` });
      const title = el('title');
      title.textContent = `${preview.labels?.[t.alert.rule] ?? t.alert.rule}, ${new Date(t.alert.raisedAt).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })}`;
      tick.append(title);
      svg.append(tick);
    }
  }
  const y = g.height - 4;
  const from = el('text', { x: g.pad.left, y, class: 'whatif-axis' });
  from.textContent = new Date(preview.from).toLocaleDateString();
  const to = el('text', { x: g.width - g.pad.right, y, 'text-anchor': 'end', class: 'whatif-axis' });
  to.textContent = new Date(preview.to).toLocaleDateString();
  svg.append(from, to);
  container.append(svg);
  if (preview.notReplayed?.length) {
    const note = document.createElement('p');
    note.className = 'muted';
    note.textContent = 'Replayed on the stored readings and nights; device silence is not replayed. Nothing is saved until you press Save.';
    container.append(note);
  }
}
