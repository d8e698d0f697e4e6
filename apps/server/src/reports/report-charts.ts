import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { TherapyDayDto } from '../episodes/episodes.dto.js';

/** The daily indicators charted in the reports, with their clinical names and units. */
export const DAILY_CHARTS: ReadonlyArray<{ field: keyof TherapyDayDto; title: string; unit: string }> = [
  { field: 'ventilationHours', title: 'Ventilation', unit: 'h' },
  { field: 'leakMedian', title: 'Leak (median)', unit: 'L/min' },
  { field: 'respRateMean', title: 'Respiratory rate', unit: '/min' },
  { field: 'o2Hours', title: 'Oxygen', unit: 'h' },
  { field: 'spo2Mean', title: 'SpO₂ (mean)', unit: '%' },
];

/**
 * The charts of the daily indicators of a period, as one SVG drawn by Vega-Lite on the server
 * (renderer "none": no canvas, no DOM). Only the indicators with at least one value are drawn;
 * undefined when none has any. Days are dates of the patient's zone, drawn as UTC dates so that
 * the server's own zone never shifts them.
 */
export async function dailyChartsSvg(days: readonly TherapyDayDto[], from: string, to: string): Promise<string | undefined> {
  const charts = DAILY_CHARTS.filter((c) => days.some((d) => d[c.field] !== null));
  if (charts.length === 0) return undefined;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: days.map((d) => ({ ...d })) },
    config: { font: 'Helvetica', view: { stroke: '#ccc' }, axis: { labelFontSize: 8, titleFontSize: 9 } },
    vconcat: charts.map((c) => ({
      width: 460,
      height: 60,
      title: { text: `${c.title} (${c.unit})`, fontSize: 10, anchor: 'start' },
      mark: { type: 'line', point: { size: 12 } },
      encoding: {
        x: {
          field: 'day',
          type: 'temporal',
          title: null,
          scale: { type: 'utc', domain: [`${from}T00:00:00Z`, `${to}T23:59:59Z`] },
          axis: { format: '%d/%m', labelAngle: 0, tickCount: 10 },
        },
        y: { field: c.field, type: 'quantitative', title: c.unit, scale: { zero: c.field !== 'spo2Mean' } },
      },
    })),
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
