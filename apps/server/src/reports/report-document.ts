import type { AlertView, IdentityStatus } from '#domain';
import type { RuleSettings } from '#rules';
import type { Content, TableCell, TDocumentDefinitions } from 'pdfmake/interfaces.js';
import type { NightDto } from '../clinical/clinical.dto.js';
import type { AlertHandlingView } from '../clinical/alert-handling.service.js';
import type { ComplianceMonthDto, EpisodeDto, ReviewDto, TherapyDayDto } from '../episodes/episodes.dto.js';
import {
  changedRules,
  dateTime,
  INDICATION_LABELS,
  longDate,
  mean,
  monthName,
  num,
  ruleLabel,
  ruleSettingsText,
  SEVERITY_LABELS,
  shortDate,
} from './report-labels.js';

/** Said on every page of every report (CONTRACT.md §6). */
export const EMERGENCY_NOTICE = 'Telemonitoring is not an emergency service: in an emergency, the patient calls 15 (SAMU).';

export const PRODUCT_NAME = 'Respiratory telemonitoring';

/** One calendar month of a report, clipped to the days the episode was active in it. */
export interface ReportMonth {
  month: string;
  /** First and last active day of the episode in the month. */
  from: string;
  to: string;
  /** Oldest first. */
  days: TherapyDayDto[];
  nights: NightDto[];
  alerts: Array<{ alert: AlertView; handling: AlertHandlingView | undefined }>;
  thresholds: { atStart: RuleSettings; changes: Array<{ at: string; byName: string; before: RuleSettings; after: RuleSettings }> };
  compliance: { days: number; daysWithData: number; ratio: number; met: boolean };
  /** The episode's own compliance months (from its start date) that overlap this month. */
  episodeMonths: ComplianceMonthDto[];
  reviews: Array<ReviewDto & { authorName: string }>;
  chartSvg: string | undefined;
}

export interface ReportContent {
  kind: 'monthly' | 'closing';
  /** The operator: the care team that runs the telemonitoring. */
  operator: string;
  patient: { displayName: string; birthDate: string | null; identityStatus: IdentityStatus; ins: { value: string; oid: string } | null; timezone: string };
  prescriber: string | null;
  episode: EpisodeDto;
  period: { from: string; to: string };
  generatedAt: Date;
  generatedBy: string;
  productVersion: string;
  months: ReportMonth[];
}

const IDENTITY_LABELS: Record<IdentityStatus, string> = {
  provisional: 'provisional identity',
  recovered: 'recovered identity',
  validated: 'validated identity',
  qualified: 'qualified identity',
};

const cellText = (text: string, style?: string): TableCell => ({ text, style });
const header = (...labels: string[]): TableCell[] => labels.map((l) => ({ text: l, style: 'th' }));

function table(widths: Array<string | number>, head: TableCell[], rows: TableCell[][], empty: string): Content {
  if (rows.length === 0) return { text: empty, style: 'muted', margin: [0, 0, 0, 8] };
  return { table: { headerRows: 1, widths, body: [head, ...rows] }, layout: 'lightHorizontalLines', style: 'table', margin: [0, 0, 0, 8] };
}

function identityBlock(c: ReportContent): Content {
  const zone = c.patient.timezone;
  const e = c.episode;
  const rows: Array<[string, string]> = [
    ['Operator', c.operator],
    ['Patient', c.patient.displayName],
    ['Date of birth', c.patient.birthDate ? shortDate(c.patient.birthDate) : '—'],
    ['INS', c.patient.ins ? `${c.patient.ins.value} (OID ${c.patient.ins.oid})` : `not shown (${IDENTITY_LABELS[c.patient.identityStatus]})`],
    ['Prescriber', c.prescriber ?? 'none recorded (episode from before prescriptions)'],
    ['Indication', INDICATION_LABELS[e.indication] ?? e.indication],
    ['Episode', `from ${longDate(e.startDate)}${e.endDate ? ` to ${longDate(e.endDate)}` : e.plannedEndDate ? ` (planned end ${longDate(e.plannedEndDate)})` : ''}, ${e.status === 'active' ? 'active' : 'ended'}`],
    ...(e.status === 'ended' ? ([['End reason', e.endReason ?? '—']] as Array<[string, string]>) : []),
    ['Period', `${longDate(c.period.from)} – ${longDate(c.period.to)}`],
    ['Time zone', `every date and time in this report is in the patient's time zone, ${zone}`],
    ['Generated', `${dateTime(c.generatedAt, zone)} (${zone}) by ${c.generatedBy}`],
  ];
  return {
    table: { widths: [90, '*'], body: rows.map(([k, v]) => [{ text: k, bold: true }, v]) },
    layout: 'noBorders',
    margin: [0, 0, 0, 10],
  };
}

function daysTable(m: ReportMonth): Content {
  const rows = m.days.map((d) => [
    shortDate(d.day),
    d.dataReceived ? 'yes' : 'no',
    num(d.ventilationHours, 1),
    num(d.leakMedian, 1),
    num(d.respRateMean, 1),
    num(d.o2Hours, 1),
    num(d.o2FlowMean, 1),
    num(d.spo2Mean, 1),
  ]);
  return table(
    ['auto', 'auto', '*', '*', '*', '*', '*', '*'],
    header('Therapy day', 'Data', 'Ventilation (h)', 'Leak median (L/min)', 'Resp. rate (/min)', 'Oxygen (h)', 'O₂ flow (L/min)', 'SpO₂ mean (%)'),
    rows,
    'No therapy day in this period.',
  );
}

function nightsTable(m: ReportMonth): Content {
  const rows = m.nights.map((n) => [
    shortDate(n.night),
    num(n.usageHours, 1),
    num(n.ahi, 1),
    num(n.leakP95, 0),
    num(n.spo2Mean, 1),
    num(n.spo2Min, 0),
    num(n.t90Pct, 1),
    num(n.odi3, 1),
  ]);
  return table(
    ['auto', '*', '*', '*', '*', '*', '*', '*'],
    header('Night of', 'Ventilation (h)', 'AHI (/h)', 'Leak p95 (L/min)', 'SpO₂ mean (%)', 'SpO₂ min (%)', 'T90 (% of time)', 'ODI 3 % (/h)'),
    rows,
    'No night in this period.',
  );
}

function handlingText(a: AlertView, h: AlertHandlingView | undefined, zone: string): string {
  const parts: string[] = [];
  if (a.acknowledgedAt) parts.push(`Acknowledged ${dateTime(a.acknowledgedAt, zone)} by ${h?.acknowledgedBy?.name ?? 'unknown'}`);
  if (a.resolvedAt) {
    const how = a.resolution === 'cleared' ? 'cleared by the data' : `by ${h?.resolvedBy?.name ?? 'unknown'}`;
    parts.push(`Resolved ${dateTime(a.resolvedAt, zone)} ${how}`);
  }
  if (a.escalated) parts.push('Escalated to the physicians');
  for (const e of h?.events ?? []) if (e.note) parts.push(`Note (${e.by?.name ?? 'system'}, ${dateTime(e.at, zone)}): ${e.note}`);
  if (!a.acknowledgedAt && !a.resolvedAt) parts.push('Not handled yet (open)');
  return parts.join('\n');
}

function alertsTable(m: ReportMonth, zone: string): Content {
  const rows = m.alerts.map(({ alert: a, handling: h }) => [
    dateTime(a.startedAt, zone),
    cellText(ruleLabel(a.rule)),
    SEVERITY_LABELS[a.severity] ?? a.severity,
    a.message,
    handlingText(a, h, zone),
  ]);
  return table(['auto', 'auto', 'auto', '*', '*'], header('Raised', 'Alert', 'Severity', 'Details', 'Handling'), rows, 'No alert in this period.');
}

function thresholdsBlock(m: ReportMonth, zone: string): Content[] {
  const inForce = Object.entries(m.thresholds.atStart).map(([rule, params]) => [ruleLabel(rule), ruleSettingsText(params as Record<string, unknown>)]);
  const changes = m.thresholds.changes.flatMap((c) =>
    changedRules(c.before, c.after).map((r) => [dateTime(c.at, zone), c.byName, ruleLabel(r.rule), r.before, r.after]),
  );
  return [
    { text: `In force on ${longDate(m.from)}`, style: 'h3' },
    table([120, '*'], header('Alert rule', 'Settings'), inForce, '—'),
    { text: 'Changes during the period', style: 'h3' },
    table(['auto', 'auto', 'auto', '*', '*'], header('Changed', 'By', 'Alert rule', 'Before', 'After'), changes, 'No change of the alert thresholds in this period.'),
  ];
}

function complianceBlock(m: ReportMonth): Content[] {
  const c = m.compliance;
  const rows = m.episodeMonths.map((e) => [
    `Month ${e.month}`,
    `${shortDate(e.from)} – ${shortDate(e.to)}`,
    `${e.daysWithData} / ${e.days}`,
    `${Math.round(e.ratio * 100)} %`,
    e.met ? 'met' : 'not met',
  ]);
  return [
    {
      text: `Days with data transmitted: ${c.daysWithData} of ${c.days} active days (${Math.round(c.ratio * 100)} %): ${c.met ? 'more than half, check met' : 'not more than half, check not met'}.`,
      margin: [0, 0, 0, 4],
    },
    table(['auto', '*', 'auto', 'auto', 'auto'], header('Episode month', 'Dates', 'Days with data', 'Ratio', 'Check'), rows, '—'),
  ];
}

function reviewsTable(m: ReportMonth, zone: string): Content {
  const rows = m.reviews.map((r) => [dateTime(r.at, zone), r.authorName, r.outcome ?? '—', r.note]);
  return table(['auto', 'auto', 'auto', '*'], header('Date', 'By', 'Outcome', 'Analysis'), rows, 'No review recorded in this period.');
}

function monthSections(m: ReportMonth, c: ReportContent, pageBreak: boolean): Content[] {
  const zone = c.patient.timezone;
  return [
    { text: `${monthName(m.month)} (${longDate(m.from)} – ${longDate(m.to)})`, style: 'h1', pageBreak: pageBreak ? 'before' : undefined },
    { text: 'Daily indicators (therapy days from noon to noon)', style: 'h2' },
    m.chartSvg ? { svg: m.chartSvg, width: 500, margin: [0, 0, 0, 6] } : { text: 'No indicator to chart.', style: 'muted' },
    daysTable(m),
    { text: 'Nights', style: 'h2' },
    nightsTable(m),
    { text: 'Alerts and their handling', style: 'h2' },
    alertsTable(m, zone),
    { text: 'Alert thresholds', style: 'h2' },
    ...thresholdsBlock(m, zone),
    { text: 'Transmission compliance', style: 'h2' },
    ...complianceBlock(m),
    { text: 'Reviews of the data', style: 'h2' },
    reviewsTable(m, zone),
  ];
}

function summaryTable(c: ReportContent): Content {
  const rows = c.months.map((m) => [
    monthName(m.month),
    `${m.compliance.daysWithData} / ${m.compliance.days}`,
    m.compliance.met ? 'met' : 'not met',
    num(mean(m.days.map((d) => d.ventilationHours)), 1),
    num(mean(m.days.map((d) => d.o2Hours)), 1),
    num(mean(m.days.map((d) => d.spo2Mean)), 1),
    String(m.alerts.length),
    String(m.reviews.length),
  ]);
  return table(
    ['*', 'auto', 'auto', 'auto', 'auto', 'auto', 'auto', 'auto'],
    header('Month', 'Days with data', 'Compliance', 'Ventilation (h/day)', 'Oxygen (h/day)', 'SpO₂ mean (%)', 'Alerts', 'Reviews'),
    rows,
    '—',
  );
}

/** The pdfmake document of a monthly or closing report. Pure: everything it prints is in `c`. */
export function reportDocument(c: ReportContent): TDocumentDefinitions {
  const zone = c.patient.timezone;
  const title = c.kind === 'monthly' ? `Monthly telemonitoring report – ${monthName(c.months[0]!.month)}` : 'Closing report of the telemonitoring episode';
  const generated = `Generated ${dateTime(c.generatedAt, zone)} (${zone})`;
  const content: Content[] = [{ text: title, style: 'title' }, identityBlock(c)];
  if (c.kind === 'closing') {
    content.push({ text: 'Summary per month', style: 'h2' }, summaryTable(c));
  }
  c.months.forEach((m, i) => content.push(...monthSections(m, c, c.kind === 'closing' || i > 0)));
  return {
    info: { title, creator: `${PRODUCT_NAME} ${c.productVersion}`, producer: `${PRODUCT_NAME} ${c.productVersion}` },
    pageSize: 'A4',
    pageMargins: [36, 48, 36, 60],
    header: { text: `${c.patient.displayName} – ${title}`, style: 'pageHeader', margin: [36, 20, 36, 0] },
    footer: (page, pages) => ({
      margin: [36, 8, 36, 0],
      stack: [
        { text: EMERGENCY_NOTICE, bold: true, fontSize: 8 },
        { columns: [{ text: `${PRODUCT_NAME} ${c.productVersion} · ${generated}`, fontSize: 7 }, { text: `Page ${page} / ${pages}`, alignment: 'right', fontSize: 7 }] },
      ],
    }),
    content,
    defaultStyle: { font: 'Roboto', fontSize: 9 },
    styles: {
      title: { fontSize: 15, bold: true, margin: [0, 0, 0, 8] },
      h1: { fontSize: 13, bold: true, margin: [0, 6, 0, 6] },
      h2: { fontSize: 11, bold: true, margin: [0, 8, 0, 4] },
      h3: { fontSize: 9, bold: true, margin: [0, 2, 0, 2] },
      th: { bold: true, fontSize: 8 },
      table: { fontSize: 8 },
      muted: { color: '#555', italics: true },
      pageHeader: { fontSize: 7, color: '#555' },
    },
  };
}
