/**
 * Server-rendered bar charts (SVG, no JavaScript), each drawn beside a table of the same figures: the table is the
 * text equivalent, and every bar names its series, month and value in a <title>. Colours come with the series'
 * names in the legend and the table, so no figure is told by colour alone. Presentation attributes only: the
 * dashboard's Content-Security-Policy allows no inline style.
 */
import { html } from './html';
import type { Html } from './html';

export interface ChartSeries {
  name: string;
  values: (number | null)[];
  /** Fill colour (legend and table say the name too). */
  fill: string;
}

export interface BarChart {
  id: string;
  title: string;
  /** One sentence on what is shown (the SVG's description). */
  description: string;
  categories: string[];
  series: ChartSeries[];
  /** Stacked: one bar per category, series on top of each other; grouped otherwise. */
  stacked?: boolean;
  unit?: string;
}

const W = 760;
const H = 250;
const PAD = { left: 44, right: 12, top: 12, bottom: 46 };

/** A round axis maximum: 1, 2, 5 × 10^n at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export function barChartSvg(c: BarChart): Html {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const totals = c.categories.map((_, i) => (c.stacked ? c.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0) : Math.max(0, ...c.series.map((s) => s.values[i] ?? 0))));
  const top = niceMax(Math.max(0, ...totals));
  const y = (v: number): number => PAD.top + plotH - (v / top) * plotH;
  const band = plotW / Math.max(1, c.categories.length);
  const barW = c.stacked ? band * 0.6 : (band * 0.8) / Math.max(1, c.series.length);
  const ticks = [0, top / 4, top / 2, (3 * top) / 4, top];
  const bars: Html[] = [];
  c.categories.forEach((cat, i) => {
    let base = 0;
    c.series.forEach((s, k) => {
      const v = s.values[i];
      if (v === null || v === 0) return;
      const x = c.stacked ? PAD.left + i * band + band * 0.2 : PAD.left + i * band + band * 0.1 + k * barW;
      const y0 = c.stacked ? y(base + v) : y(v);
      const h = c.stacked ? y(base) - y(base + v) : y(0) - y(v);
      if (c.stacked) base += v;
      bars.push(html`<rect x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}" fill="${s.fill}" stroke="#24292f" stroke-width="0.5"><title>${cat} — ${s.name}: ${fmt(v)}${c.unit ? ` ${c.unit}` : ''}</title></rect>`);
    });
  });
  const legend = c.series.map((s, k) => html`<g transform="translate(${PAD.left + k * 150},${H - 14})"><rect width="12" height="12" fill="${s.fill}" stroke="#24292f" stroke-width="0.5"></rect><text x="16" y="10" font-size="12" fill="#1b1f24">${s.name}</text></g>`);
  return html`<svg id="${c.id}" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="${c.id}-title ${c.id}-desc" xmlns="http://www.w3.org/2000/svg">
<title id="${c.id}-title">${c.title}</title><desc id="${c.id}-desc">${c.description} The table below gives the same figures.</desc>
${ticks.map((t) => html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#d0d7de"></line><text x="${PAD.left - 6}" y="${(y(t) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#57606a">${fmt(t)}</text>`)}
${bars}
${c.categories.map((cat, i) => html`<text x="${(PAD.left + i * band + band / 2).toFixed(1)}" y="${H - PAD.bottom + 16}" font-size="11" text-anchor="middle" fill="#57606a">${cat}</text>`)}
<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="#57606a"></line>
${legend}
</svg>`;
}

/** The chart's figures as a table: months as rows, series as columns. */
export function chartTable(c: BarChart): Html {
  return html`<table><caption>${c.title}${c.unit ? ` (${c.unit})` : ''}</caption>
<thead><tr><th scope="col">Month</th>${c.series.map((s) => html`<th scope="col">${s.name}</th>`)}</tr></thead>
<tbody>${c.categories.map((cat, i) => html`<tr><th scope="row">${cat}</th>${c.series.map((s) => html`<td class="num">${s.values[i] === null ? '—' : fmt(s.values[i] as number)}</td>`)}</tr>`)}</tbody></table>`;
}

export function chartFigure(c: BarChart): Html {
  return html`<figure class="chart" aria-labelledby="${c.id}-caption"><figcaption id="${c.id}-caption"><strong>${c.title}</strong></figcaption>${barChartSvg(c)}${chartTable(c)}</figure>`;
}
