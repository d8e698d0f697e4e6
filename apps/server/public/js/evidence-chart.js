// The evidence of an alert (GET /api/alerts/:id/evidence) for the nurse console and the patient
// page: a small SVG chart of the episode's window (the samples that met the rule as dots, the
// limit in force as a dashed line), what the rule measured, the settings in force when it was
// raised and the clinical source. Plain DOM SVG (CSP-safe: no inline script or style). The
// geometry (evidenceGeometry) is pure and unit-tested (apps/server/src/alerts/evidence-chart.spec.ts).
const SVG = 'http://www.w3.org/2000/svg';

const METRIC = { spo2: ['SpO₂', '%'], pulseRate: ['Pulse rate', '/min'] };

/** Settings as a clinician reads them (parameter names of the rules engine → words and units). */
const PARAMETER = {
  threshold: (v, unit) => `limit ${v}${unit ? ` ${unit}` : ''}`,
  durationSeconds: (v) => `lasting at least ${duration(v)}`,
  hysteresis: (v, unit) => `ends once back ${v}${unit ? ` ${unit}` : ''} past the limit`,
  clearSeconds: (v) => `for ${duration(v)}`,
  minUsageHours: (v) => `use under ${v} h a night`,
  minNights: (v) => `on at least ${v} nights`,
  windowNights: (v) => `of the last ${v} nights`,
  maxSdHours: (v) => `variation of use above ${v} h`,
  consecutiveNights: (v) => `${v} nights in a row`,
  referenceNights: (v) => `compared with the ${v} nights before`,
  baselineDays: (v) => `baseline of ${v} days`,
  minBaselineDays: (v) => `at least ${v} baseline days`,
  infoAfterHours: (v) => `silent ${v} h: information`,
  warningAfterHours: (v) => `silent ${v} h: warning`,
  assumeOnOxygen: (v) => (v ? 'patient on long-term oxygen' : null),
  enabled: () => null,
};

function duration(seconds) {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round((seconds / 60) * 10) / 10} min`;
  return `${Math.round((seconds / 3600) * 10) / 10} h`;
}

/** The settings in force when raised, in words ("limit 88 %, lasting at least 5 min, …"), or a note when not recorded. */
export function describeParameters(evidence) {
  if (!evidence.parameters) return 'Settings at the time: not recorded (alert raised before they were kept).';
  const unit = evidence.statistic?.unit ?? '';
  // In the order of PARAMETER (a clinical reading order), whatever the order stored.
  const parts = Object.keys(PARAMETER)
    .filter((name) => Object.hasOwn(evidence.parameters, name))
    .map((name) => PARAMETER[name](evidence.parameters[name], unit))
    .filter(Boolean);
  return `Settings at the time: ${parts.join(', ')}.`;
}

/** Everything to draw, in SVG coordinates: dots of the samples, the limit line, the time range. */
export function evidenceGeometry(evidence, { width = 360, height = 140, pad = { left: 34, right: 8, top: 8, bottom: 20 } } = {}) {
  const fromMs = Date.parse(evidence.window.from);
  const toMs = Math.max(Date.parse(evidence.window.to), fromMs + 1000);
  const samples = evidence.samples.filter((s) => typeof s.value === 'number');
  const threshold = evidence.statistic?.threshold;
  const values = samples.map((s) => s.value);
  if (typeof threshold === 'number') values.push(threshold);
  let lo = values.length ? Math.floor(Math.min(...values)) - 1 : 0;
  let hi = values.length ? Math.ceil(Math.max(...values)) + 1 : 1;
  if (hi - lo < 4) {
    lo -= 2;
    hi += 2;
  }
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (t) => pad.left + ((t - fromMs) / (toMs - fromMs)) * plotW;
  const y = (v) => pad.top + (1 - (v - lo) / (hi - lo)) * plotH;
  const r1 = (n) => Math.round(n * 10) / 10;
  return {
    width,
    height,
    pad,
    lo,
    hi,
    dots: samples.map((s) => ({ cx: r1(x(Date.parse(s.at))), cy: r1(y(s.value)) })),
    limit: typeof threshold === 'number' ? { y: r1(y(threshold)), x1: pad.left, x2: width - pad.right } : null,
    yLabel: (v) => r1(y(v)),
  };
}

const el = (name, attrs = {}) => {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};

const time = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/** Renders the evidence into `container` (replacing its content). */
export function renderEvidence(container, evidence) {
  container.replaceChildren();
  container.classList.add('evidence');
  const [metricLabel, metricUnit] = METRIC[evidence.metric] ?? [evidence.label, evidence.statistic?.unit ?? ''];
  const s = evidence.statistic ?? {};
  const unit = s.unit ? ` ${s.unit}` : '';
  const head = document.createElement('p');
  head.className = 'evidence-statistic';
  const limit = typeof s.threshold === 'number' ? ` (limit ${s.comparison ?? ''} ${s.threshold}${unit})` : '';
  head.textContent = `${evidence.label}: ${s.name} ${s.value ?? '—'}${unit}${limit}, from ${time(evidence.window.from)} to ${time(evidence.window.to)}.`;
  container.append(head);

  if (evidence.sampleKind === 'readings') {
    const g = evidenceGeometry(evidence);
    const svg = el('svg', { viewBox: `0 0 ${g.width} ${g.height}`, width: g.width, height: g.height, role: 'img', class: 'evidence-chart' });
    svg.setAttribute('aria-label', `${metricLabel} during the episode: ${evidence.samples.length} samples beyond the limit${limit}`);
    const title = el('title');
    title.textContent = `${metricLabel} (${metricUnit}) during the episode`;
    svg.append(title);
    svg.append(el('rect', { x: g.pad.left, y: g.pad.top, width: g.width - g.pad.left - g.pad.right, height: g.height - g.pad.top - g.pad.bottom, class: 'evidence-frame' }));
    for (const v of [g.lo, g.hi]) {
      const t = el('text', { x: g.pad.left - 4, y: g.yLabel(v) + 4, 'text-anchor': 'end', class: 'evidence-axis' });
      t.textContent = `${v}`;
      svg.append(t);
    }
    if (g.limit) {
      svg.append(el('line', { x1: g.limit.x1, x2: g.limit.x2, y1: g.limit.y, y2: g.limit.y, class: 'evidence-limit' }));
      const t = el('text', { x: g.limit.x2 - 2, y: g.limit.y - 3, 'text-anchor': 'end', class: 'evidence-axis' });
      t.textContent = `limit ${s.threshold}${unit}`;
      svg.append(t);
    }
    const dots = el('g', { class: 'evidence-samples' });
    for (const d of g.dots) dots.append(el('circle', { cx: d.cx, cy: d.cy, r: 1.6 }));
    svg.append(dots);
    const from = el('text', { x: g.pad.left, y: g.height - 5, class: 'evidence-axis' });
    from.textContent = new Date(evidence.window.from).toLocaleTimeString(undefined, { timeStyle: 'short' });
    const to = el('text', { x: g.width - g.pad.right, y: g.height - 5, 'text-anchor': 'end', class: 'evidence-axis' });
    to.textContent = new Date(evidence.window.to).toLocaleTimeString(undefined, { timeStyle: 'short' });
    svg.append(from, to);
    container.append(svg);
    const legend = document.createElement('p');
    legend.className = 'muted';
    legend.textContent = `${evidence.samples.length} ${metricLabel} samples beyond the limit${evidence.truncated ? ' (first hour shown)' : ''}; dashed line: the limit in force.`;
    container.append(legend);
  } else if (evidence.samples.length > 0) {
    const list = document.createElement('ul');
    list.className = 'evidence-list';
    for (const n of evidence.samples) {
      const li = document.createElement('li');
      li.textContent =
        evidence.sampleKind === 'nights'
          ? `Night of ${n.night}: use ${round(n.usageHours)} h, leak ${n.leakP95 ?? '—'} L/min, AHI ${n.ahi ?? '—'} /h, respiratory rate ${n.respRateMedian ?? '—'} /min`
          : `Day of ${n.day}: mean SpO₂ ${n.spo2Mean === null ? '—' : round(n.spo2Mean)} %, mean pulse ${n.pulseMean === null ? '—' : round(n.pulseMean)} /min`;
      list.append(li);
    }
    container.append(list);
  }
  const settings = document.createElement('p');
  settings.className = 'evidence-settings';
  settings.textContent = describeParameters(evidence);
  const source = document.createElement('p');
  source.className = 'evidence-source muted';
  source.textContent = `Clinical source: ${evidence.source}`;
  container.append(settings, source);
}

const round = (n) => Math.round(n * 10) / 10;
