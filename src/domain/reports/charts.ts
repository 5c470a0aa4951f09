/**
 * Charts as inline SVG rendered on the server: no chart code in the browser.
 * Each chart carries a <title> and a <desc> (referenced by aria-labelledby)
 * and the page prints the same numbers in a table next to it. Labels come
 * translated from the caller. Colours meet 4.5:1 contrast on white.
 */

export interface Bar {
  label: string;
  value: number;
  /** The value as the reader should see it (hours, %, ...). */
  display: string;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const ink = '#1a1a1a';
const barColour = '#1d5fa8';
const lineColour = '#a33a12';

function frame(id: string, title: string, description: string, width: number, height: number, body: string): string {
  return `<svg class="chart" id="${id}" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">`
    + `<title id="${id}-title">${escape(title)}</title><desc id="${id}-desc">${escape(description)}</desc>${body}</svg>`;
}

/** Horizontal bars, one row per label (sub-regions, service categories). */
export function horizontalBars(id: string, title: string, description: string, bars: readonly Bar[]): string {
  const rowHeight = 34;
  const labelWidth = 190;
  const valueWidth = 110;
  const width = 720;
  const plotWidth = width - labelWidth - valueWidth;
  const height = Math.max(1, bars.length) * rowHeight + 10;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const rows = bars.map((bar, index) => ({ y: 5 + index * rowHeight, length: Math.max(0, Math.round((bar.value / max) * plotWidth)), bar }));
  // Shared presentation attributes sit on a group (SVG inherits them): a third fewer bytes to render and compress.
  const labels = rows.map(({ y, bar }) => `<text x="${labelWidth - 8}" y="${y + 22}">${escape(bar.label)}</text>`);
  const rects = rows.map(({ y, length }) => `<rect x="${labelWidth}" y="${y + 6}" width="${length}" height="${rowHeight - 12}"/>`);
  const values = rows.map(({ y, length, bar }) => `<text x="${labelWidth + length + 6}" y="${y + 22}">${escape(bar.display)}</text>`);
  return frame(id, title, description, width, height, `<g fill="${barColour}">${rects.join('')}</g>`
    + `<g font-size="17" fill="${ink}"><g text-anchor="end">${labels.join('')}</g>${values.join('')}</g>`);
}

/** A line over months with a dot and value per point (the 12-month trend); the peak's value is bold. */
export function trendLine(id: string, title: string, description: string, points: readonly Bar[]): string {
  const width = 720;
  const height = 260;
  const left = 20;
  const right = 20;
  const top = 30;
  const bottom = 50;
  const max = Math.max(1, ...points.map((point) => point.value));
  const step = points.length > 1 ? (width - left - right) / (points.length - 1) : 0;
  const xy = points.map((point, index) => [left + index * step, top + (1 - point.value / max) * (height - top - bottom), point] as const);
  const path = xy.map(([x, y], index) => `${index === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const dots = xy.map(([x, y]) => `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4"/>`);
  const months = xy.map(([x, , point]) => `<text x="${x.toFixed(1)}" y="${height - 28}">${escape(point.label)}</text>`);
  // Every month carries its value: labelling every other one used to hide the peak.
  const values = xy.map(([x, y, point]) => `<text x="${x.toFixed(1)}" y="${(y - 9).toFixed(1)}"${point.value === max ? ' font-weight="bold"' : ''}>${escape(point.display)}</text>`);
  const marks = `<g fill="${lineColour}">${dots.join('')}</g><g text-anchor="middle" fill="${ink}"><g font-size="14">${months.join('')}</g><g font-size="13">${values.join('')}</g></g>`;
  const axis = `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="${ink}" stroke-width="1"/>`;
  return frame(id, title, description, width, height, `${axis}<path d="${path}" fill="none" stroke="${lineColour}" stroke-width="3"/>${marks}`);
}
