// Trend charts as inline SVG (no chart library): the min–max range of each bucket as a band, the
// mean as a line, the clinical target as a shaded band. Pure geometry (chartGeometry) is separate
// from the DOM so it is unit-tested (apps/server/src/clinical/clinical-charts.spec.ts).
const SVG = 'http://www.w3.org/2000/svg';

/** Time axis ticks at local midnights, every `stepDays` days. */
export function dayTicks(fromMs, toMs, maxTicks = 8) {
  const days = Math.max(1, Math.round((toMs - fromMs) / 86_400_000));
  const stepDays = [1, 2, 5, 7, 10, 15, 30].find((s) => days / s <= maxTicks) ?? 30;
  const ticks = [];
  const d = new Date(fromMs);
  d.setHours(0, 0, 0, 0);
  if (d.getTime() < fromMs) d.setDate(d.getDate() + 1);
  let i = 0;
  while (d.getTime() <= toMs) {
    if (i % stepDays === 0) ticks.push(d.getTime());
    d.setDate(d.getDate() + 1);
    i++;
  }
  return ticks;
}

/**
 * Everything to draw, in SVG coordinates. Buckets further apart than 1.5 bucket widths break the
 * line and the band (no data is not drawn as a straight line).
 */
export function chartGeometry(buckets, opts) {
  const { fromMs, toMs, bucketMs, width, height, pad } = opts;
  const values = buckets.flatMap((b) => [b.min, b.max]);
  let [lo, hi] = opts.yDomain;
  if (values.length) {
    lo = Math.min(lo, Math.floor(Math.min(...values)));
    hi = Math.max(hi, Math.ceil(Math.max(...values)));
  }
  // A band side may be open (null: no limit on that side, e.g. a disabled rule): drawn to the plot edge.
  const finite = (v) => typeof v === 'number' && Number.isFinite(v);
  if (opts.target) {
    if (finite(opts.target.low)) lo = Math.min(lo, opts.target.low);
    if (finite(opts.target.high)) hi = Math.max(hi, opts.target.high);
  }
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (t) => pad.left + ((t - fromMs) / (toMs - fromMs)) * plotW;
  const y = (v) => pad.top + (1 - (v - lo) / (hi - lo || 1)) * plotH;
  const segments = [];
  let current = [];
  for (const b of buckets) {
    const t = Date.parse(b.start) + bucketMs / 2;
    if (current.length && t - current[current.length - 1].t > 1.5 * bucketMs) {
      segments.push(current);
      current = [];
    }
    current.push({ t, b });
  }
  if (current.length) segments.push(current);
  const fmt = (n) => n.toFixed(1);
  // An isolated bucket is drawn across its own width, so that it shows as a dash and a bar.
  const points = (seg) => (seg.length === 1 ? [{ ...seg[0], t: seg[0].t - bucketMs / 2 }, { ...seg[0], t: seg[0].t + bucketMs / 2 }] : seg);
  const line = segments.map((seg) => points(seg).map((p, i) => `${i ? 'L' : 'M'}${fmt(x(p.t))},${fmt(y(p.b.avg))}`).join('')).join('');
  const band = segments
    .map((seg) => {
      const ps = points(seg);
      const top = ps.map((p, i) => `${i ? 'L' : 'M'}${fmt(x(p.t))},${fmt(y(p.b.max))}`).join('');
      const bottom = [...ps].reverse().map((p) => `L${fmt(x(p.t))},${fmt(y(p.b.min))}`).join('');
      return `${top}${bottom}Z`;
    })
    .join('');
  const yStep = niceStep((hi - lo) / 5);
  const yTicks = [];
  for (let v = Math.ceil(lo / yStep) * yStep; v <= hi + 1e-9; v += yStep) yTicks.push({ v, y: y(v) });
  return {
    lo,
    hi,
    line,
    band,
    target: opts.target
      ? { y1: finite(opts.target.high) ? y(opts.target.high) : pad.top, y2: finite(opts.target.low) ? y(opts.target.low) : pad.top + plotH }
      : null,
    yTicks,
    xTicks: dayTicks(fromMs, toMs).map((t) => ({ t, x: x(t) })),
    plot: { x: pad.left, y: pad.top, w: plotW, h: plotH },
  };
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Draws one chart into `container` (replacing its content). */
export function renderTrendChart(container, { title, unit, buckets, fromMs, toMs, bucketMs, yDomain, target }) {
  const width = 900;
  const height = 220;
  const g = chartGeometry(buckets, { fromMs, toMs, bucketMs, width, height, yDomain, target, pad: { left: 44, right: 12, top: 12, bottom: 26 } });
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'trend-chart', 'aria-label': `${title} (${unit})` });
  svg.append(el('title', {}, `${title} (${unit})`));
  svg.append(el('rect', { x: g.plot.x, y: g.plot.y, width: g.plot.w, height: g.plot.h, class: 'plot' }));
  if (g.target) {
    const band = el('rect', {
      x: g.plot.x,
      y: g.target.y1,
      width: g.plot.w,
      height: Math.max(0, g.target.y2 - g.target.y1),
      class: 'target-band',
      'data-low': target.low ?? '',
      'data-high': target.high ?? '',
      'data-source': target.source ?? '',
    });
    band.append(el('title', {}, bandLabel(target, unit)));
    svg.append(band);
  }
  for (const tick of g.yTicks) {
    svg.append(el('line', { x1: g.plot.x, x2: g.plot.x + g.plot.w, y1: tick.y, y2: tick.y, class: 'grid' }));
    svg.append(el('text', { x: g.plot.x - 6, y: tick.y + 4, class: 'tick', 'text-anchor': 'end' }, String(Math.round(tick.v * 10) / 10)));
  }
  for (const tick of g.xTicks) {
    svg.append(el('line', { x1: tick.x, x2: tick.x, y1: g.plot.y, y2: g.plot.y + g.plot.h, class: 'grid' }));
    const label = new Date(tick.t).toLocaleDateString(undefined, { day: '2-digit', month: '2-digit' });
    svg.append(el('text', { x: tick.x, y: height - 8, class: 'tick', 'text-anchor': 'middle' }, label));
  }
  if (g.band) svg.append(el('path', { d: g.band, class: 'range-band' }));
  if (g.line) svg.append(el('path', { d: g.line, class: 'mean-line' }));
  container.replaceChildren(svg);
  if (!buckets.length) {
    const empty = document.createElement('p');
    empty.className = 'muted';
    empty.textContent = 'No valid samples in this period.';
    container.append(empty);
  }
}

/** "alert limits 88–97 %" / "reference 12–20 /min"; an open side reads "≥ 88 %" or "≤ 120 /min". */
export function bandLabel(target, unit) {
  if (!target) return '';
  const what = target.source === 'thresholds' ? 'alert limits' : target.source === 'reference' ? 'reference' : 'target';
  const has = (v) => typeof v === 'number' && Number.isFinite(v);
  const range = has(target.low) && has(target.high) ? `${target.low}–${target.high} ${unit}` : has(target.low) ? `≥ ${target.low} ${unit}` : has(target.high) ? `≤ ${target.high} ${unit}` : 'none';
  return `${what} ${range}`;
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The band drawn on a chart: the patient's own alert limits when the thresholds view
 * (GET /api/patients/:id/thresholds: { profile, effective: { rule: { enabled, threshold } } }) is
 * known, else the profile's clinical target (targetFor). SpO2: spo2.low.threshold up to
 * spo2.high_on_o2.threshold (when that rule is on; else 100 %). Pulse: pulse.low to pulse.high.
 * A disabled rule leaves its side open (null). Respiratory rate has no per-patient limit (its rule
 * is a trend): the reference range. `source`: 'thresholds' | 'profile' | 'reference'.
 */
export function bandFor(metric, thresholds, profile) {
  const fallback = targetFor(metric, profile ?? thresholds?.profile);
  const effective = isObject(thresholds?.effective) ? thresholds.effective : null;
  const limit = (rule) => {
    const p = effective?.[rule];
    return isObject(p) && p.enabled !== false && typeof p.threshold === 'number' && Number.isFinite(p.threshold) ? p.threshold : null;
  };
  const known = (rule) => isObject(effective?.[rule]);
  if (metric === 'spo2' && known('spo2.low')) {
    const high = known('spo2.high_on_o2') ? limit('spo2.high_on_o2') : null;
    return { low: limit('spo2.low'), high: high ?? 100, source: 'thresholds' };
  }
  if (metric === 'pulseRate' && (known('pulse.low') || known('pulse.high'))) {
    return { low: limit('pulse.low'), high: limit('pulse.high'), source: 'thresholds' };
  }
  if (!fallback) return null;
  return { ...fallback, source: metric === 'respRate' ? 'reference' : 'profile' };
}

/**
 * Clinical targets drawn as bands when the patient's thresholds are not known. SpO2 depends on the profile (BTS 2017 guideline: 88–92 % for
 * hypercapnic patients, 94–98 % otherwise); with the profile unknown, no SpO2 band rather than a wrong one.
 */
export function targetFor(metric, profile) {
  if (metric === 'spo2') return profile === 'hypercapnic' ? { low: 88, high: 92 } : profile === 'standard' ? { low: 94, high: 98 } : null;
  if (metric === 'pulseRate') return { low: 50, high: 100 };
  if (metric === 'respRate') return { low: 12, high: 20 };
  return null;
}

export const CHART_METRICS = [
  { metric: 'spo2', title: 'SpO₂', unit: '%', yDomain: [85, 100] },
  { metric: 'pulseRate', title: 'Pulse rate', unit: '/min', yDomain: [50, 110] },
  { metric: 'respRate', title: 'Respiratory rate', unit: '/min', yDomain: [10, 25] },
];

/** Bucket for a period in days: ~100–700 points per chart, served by the hourly rollup. */
export function bucketFor(days) {
  if (days <= 7) return { bucket: '1h', bucketMs: 3_600_000 };
  if (days <= 31) return { bucket: '6h', bucketMs: 21_600_000 };
  return { bucket: '1d', bucketMs: 86_400_000 };
}
