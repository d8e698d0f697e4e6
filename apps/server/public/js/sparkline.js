// Small inline SVG charts of a patient's recent SpO2 and pulse (REST trends, 1-minute buckets).

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 120;
const HEIGHT = 26;

/**
 * Returns an element: an SVG polyline of the buckets' averages with the last value as text,
 * or a dash when there is nothing to draw. `label` names the metric for screen readers.
 */
export function sparkline(buckets, { label, unit, className }) {
  const wrap = document.createElement('span');
  wrap.className = `spark ${className}`;
  const points = (buckets ?? []).filter((b) => typeof b.avg === 'number');
  if (points.length === 0) {
    wrap.textContent = `${label} —`;
    wrap.setAttribute('aria-label', `${label}: no recent data`);
    return wrap;
  }
  const values = points.map((b) => b.avg);
  const min = Math.min(...points.map((b) => (typeof b.min === 'number' ? b.min : b.avg)));
  const max = Math.max(...points.map((b) => (typeof b.max === 'number' ? b.max : b.avg)));
  const last = values[values.length - 1];
  const span = max - min || 1;
  const step = points.length > 1 ? WIDTH / (points.length - 1) : 0;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('width', String(WIDTH));
  svg.setAttribute('height', String(HEIGHT));
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute(
    'points',
    values.map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT - 2 - ((v - min) / span) * (HEIGHT - 4)).toFixed(1)}`).join(' '),
  );
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke-width', '1.5');
  line.setAttribute('class', 'spark-line');
  svg.appendChild(line);
  const text = document.createElement('span');
  text.className = 'spark-value';
  text.textContent = `${label} ${Math.round(last)}${unit}`;
  wrap.append(svg, text);
  wrap.setAttribute('role', 'img');
  wrap.setAttribute('aria-label', `${label} last hour: latest ${Math.round(last)}${unit}, range ${Math.round(min)} to ${Math.round(max)}${unit}`);
  return wrap;
}
