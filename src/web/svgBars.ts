import { formatNumber, NBSP } from '../labels/formats.js';
import type { ChartSpec } from './statsCharts.js';

/**
 * A bar chart as inline SVG, drawn on the server: the committee's report
 * prints without a script. Bars run across, a category per row, its name in
 * full on the left and its value written at the end of the bar, so every
 * label and every number can be read on paper.
 */

const WIDTH = 680;
const LABEL_WIDTH = 200;
const VALUE_WIDTH = 70;
const BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
const LINE_HEIGHT = 13;
const FONT = 'font-family="system-ui, Arial, sans-serif" font-size="11"';
/** Characters on a line of a category's name before it wraps (about the label column's width). */
const LABEL_CHARS = 32;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The name cut at spaces into lines that fit the label column. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > LABEL_CHARS) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** A round top of the scale: 1, 2, 5 times a power of ten. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function valueText(value: number | null, percent: boolean): string {
  if (value === null) return '—';
  return percent ? `${formatNumber(value, 1)}${NBSP}%` : formatNumber(value, 1);
}

export function svgBars(chart: ChartSpec): string {
  const { labels, series, stacked, percent } = chart;
  const totals = labels.map((_, i) =>
    stacked
      ? series.reduce((n, s) => n + (s.data[i] ?? 0), 0)
      : Math.max(0, ...series.map((s) => s.data[i] ?? 0)),
  );
  const max = percent ? 100 : niceMax(Math.max(0, ...totals));
  const scale = (v: number) => (Math.max(0, v) / max) * BAR_AREA;
  const barHeight = stacked || series.length === 1 ? 16 : 11;
  const parts: string[] = [];
  let y = 0;

  // The legend, its entries on as many lines as they need (about 6 units a character).
  if (series.length > 1) {
    let x = 0;
    for (const s of series) {
      const width = 14 + s.label.length * 6.2 + 18;
      if (x > 0 && x + width > WIDTH) {
        x = 0;
        y += 16;
      }
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y + 2}" width="10" height="10" fill="${s.color}"/>`,
        `<text x="${(x + 14).toFixed(1)}" y="${y + 11}" ${FONT}>${escapeXml(s.label)}</text>`,
      );
      x += width;
    }
    y += 22;
  }

  const top = y;
  labels.forEach((label, i) => {
    const lines = wrap(label);
    const bars = stacked ? 1 : series.length;
    const rowHeight = Math.max(lines.length * LINE_HEIGHT, bars * (barHeight + 2)) + 8;
    lines.forEach((line, l) => {
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 4 + (l + 1) * LINE_HEIGHT - 3}" text-anchor="end" ${FONT}>${escapeXml(line)}</text>`,
      );
    });
    if (stacked) {
      let x = LABEL_WIDTH;
      for (const s of series) {
        const w = scale(s.data[i] ?? 0);
        if (w > 0)
          parts.push(
            `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${barHeight}" fill="${s.color}"><title>${escapeXml(`${s.label}${NBSP}: ${valueText(s.data[i] ?? 0, percent)}`)}</title></rect>`,
          );
        x += w;
      }
      parts.push(
        `<text x="${(x + 4).toFixed(1)}" y="${y + 4 + barHeight - 4}" ${FONT}>${valueText(totals[i] ?? 0, percent)}</text>`,
      );
    } else {
      series.forEach((s, k) => {
        const value = s.data[i] ?? null;
        const w = value === null ? 0 : scale(value);
        const by = y + 4 + k * (barHeight + 2);
        if (w > 0)
          parts.push(
            `<rect x="${LABEL_WIDTH}" y="${by}" width="${w.toFixed(1)}" height="${barHeight}" fill="${s.color}"/>`,
          );
        parts.push(
          `<text x="${(LABEL_WIDTH + w + 4).toFixed(1)}" y="${by + barHeight - 2}" ${FONT}>${valueText(value, percent)}</text>`,
        );
      });
    }
    y += rowHeight;
  });

  // The scale: a line at 0, ¼, ½, ¾ and the top, each with its value under the bars.
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const grid = ticks.map((t) => {
    const x = (LABEL_WIDTH + t * BAR_AREA).toFixed(1);
    return `<line x1="${x}" y1="${top}" x2="${x}" y2="${y}" stroke="#ccc" stroke-width="0.5"/><text x="${x}" y="${y + 12}" text-anchor="middle" ${FONT} fill="#555">${valueText(t * max, percent)}</text>`;
  });
  const height = y + 18;
  const empty =
    labels.length === 0
      ? `<text x="${LABEL_WIDTH}" y="${y + 14}" ${FONT}>Rien à montrer sur la période.</text>`
      : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${WIDTH} ${labels.length ? height : y + 24}" width="${WIDTH}" role="img" aria-label="${escapeXml(chart.title)}"><title>${escapeXml(chart.title)}</title>${labels.length ? grid.join('') : ''}${parts.join('')}${empty}</svg>`;
}
