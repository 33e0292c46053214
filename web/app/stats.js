// Figures (group statistics) as the figures routes send them: an accessible table with its
// totals, a bar chart as inline SVG (no chart library), and a CSV download. Shared by every
// figures page (inquiries, Finsamteam, fördjupad samverkan). A count below 5 arrives as "<5",
// a count withheld so that no "<5" can be worked out from the totals as "x".

import { html } from './lib.js';
import { session, ApiError } from './api.js';

/** Explains the two symbols; shown under every table that has them. */
export function SuppressionNote({ figures }) {
  if (!figures.suppressed) return null;
  return html`<p class="hint stats-note">
    <abbr title="färre än fem">${'<5'}</abbr> betyder färre än fem (noll medräknat).${' '}
    <strong>x</strong> betyder att siffran döljs så att ingen liten siffra kan räknas fram ur summorna.
  </p>`;
}

const decimal = (value) => (value === null || value === undefined ? '–' : String(value).replace('.', ','));

/** The figures as a real table: caption, column and row headers, totals in the footer. */
export function FiguresTable({ figures, caption, id }) {
  const measure = figures.measure_label;
  // A wide table scrolls sideways: the region takes focus so that a keyboard can scroll it.
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label=${caption}><table id=${id} class="figures">
    <caption>${caption} <span class="muted">(${figures.period_label})</span></caption>
    <thead><tr>
      <th scope="col">${figures.row_heading}</th>
      ${figures.columns.map((c) => html`<th scope="col" class="num">${c.label}</th>`)}
      <th scope="col" class="num">Totalt</th>
      ${measure && html`<th scope="col" class="num">${measure}</th>`}
    </tr></thead>
    <tbody>${figures.rows.map((r) => html`<tr>
      <th scope="row">${r.label}</th>
      ${r.cells.map((c) => html`<td class="num">${c.value}</td>`)}
      <td class="num">${r.total}</td>
      ${measure && html`<td class="num">${decimal(r.measure)}</td>`}
    </tr>`)}</tbody>
    <tfoot><tr>
      <th scope="row">Totalt</th>
      ${figures.column_totals.map((c) => html`<td class="num">${c.value}</td>`)}
      <td class="num">${figures.total}</td>
      ${measure && html`<td></td>`}
    </tr></tfoot>
  </table></div>
  ${figures.rows.length === 0 && html`<p class="empty" role="status">Inget att räkna under perioden.</p>`}
  <${SuppressionNote} figures=${figures} />`;
}

/**
 * A horizontal bar per row, of the row's total (or of one column's, `column`). A withheld
 * value draws no bar and says "<5" or "x" instead; the description reads every value.
 */
export function BarChart({ figures, title, id, column = null }) {
  if (figures.rows.length === 0) return null;
  const value = (r) => (column ? (r.cells.find((c) => c.column === column) || {}).value : r.total);
  const rows = figures.rows.map((r) => ({ label: r.label, value: value(r) }));
  const numbers = rows.map((r) => Number(r.value)).filter((n) => Number.isFinite(n));
  const max = Math.max(1, ...numbers);
  const labelWidth = 200;
  const barWidth = 360;
  const rowHeight = 32;
  const height = Math.max(1, rows.length) * rowHeight + 8;
  const desc = rows.map((r) => `${r.label}: ${r.value}`).join('; ');
  return html`<figure class="chart">
    <svg id=${id} role="img" aria-labelledby=${`${id}-title ${id}-desc`} viewBox=${`0 0 ${labelWidth + barWidth + 60} ${height}`}
      width="100%" preserveAspectRatio="xMinYMin meet" focusable="false">
      <title id=${`${id}-title`}>${title}</title>
      <desc id=${`${id}-desc`}>${desc}</desc>
      ${rows.map((r, i) => {
        const n = Number(r.value);
        const shown = Number.isFinite(n);
        const y = 4 + i * rowHeight;
        const w = shown ? Math.max(2, (n / max) * barWidth) : 0;
        return html`<g>
          <text x=${labelWidth - 8} y=${y + 20} text-anchor="end" class="chart-label">${r.label.length > 28 ? `${r.label.slice(0, 27)}…` : r.label}</text>
          ${shown && html`<rect x=${labelWidth} y=${y + 4} width=${w} height=${rowHeight - 10} class="chart-bar" />`}
          <text x=${labelWidth + w + 6} y=${y + 20} class="chart-value">${r.value}</text>
        </g>`;
      })}
    </svg>
    <figcaption class="sr-only">${title}</figcaption>
  </figure>`;
}

/**
 * A link to the CSV file of a figures route. The API wants the bearer token, so a click
 * fetches the file with it and hands it to the browser as a download named `filename`.
 */
export function CsvLink({ path, filename, id, label = 'Ladda ned tabellen som CSV (Excel)' }) {
  const href = `${path}${path.includes('?') ? '&' : '?'}format=csv`;
  const download = async (event) => {
    event.preventDefault();
    const current = session();
    const res = await fetch(href, { headers: current ? { Authorization: `Bearer ${current.token}` } : {} });
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  };
  return html`<p><a id=${id} href=${href} download=${filename} onClick=${download}>${label}</a></p>`;
}

/** The periods a picker offers: this and the five tertials before, then the last 12 months. */
export function recentPeriods(today = new Date()) {
  const year = today.getUTCFullYear();
  const month = today.getUTCMonth() + 1;
  const tertials = [];
  let [y, t] = [year, Math.floor((month - 1) / 4) + 1];
  const spans = ['jan–apr', 'maj–aug', 'sep–dec'];
  for (let i = 0; i < 6; i += 1) {
    tertials.push([`${y}T${t}`, `Tertial ${t} ${y} (${spans[t - 1]})`]);
    [y, t] = t === 1 ? [y - 1, 3] : [y, t - 1];
  }
  const names = ['januari', 'februari', 'mars', 'april', 'maj', 'juni', 'juli', 'augusti', 'september', 'oktober', 'november', 'december'];
  const months = [];
  let [my, m] = [year, month];
  for (let i = 0; i < 12; i += 1) {
    months.push([`${my}-${String(m).padStart(2, '0')}`, `${names[m - 1]} ${my}`]);
    [my, m] = m === 1 ? [my - 1, 12] : [my, m - 1];
  }
  return { tertials, months };
}

/** A period picker (a labelled select with tertials and months). */
export function PeriodPicker({ value, onChange }) {
  const { tertials, months } = recentPeriods();
  return html`<div class="field">
    <label for="period">Period</label>
    <select id="period" name="period" value=${value} onChange=${(e) => onChange(e.target.value)}>
      <optgroup label="Tertial">${tertials.map(([v, l]) => html`<option value=${v} selected=${v === value}>${l}</option>`)}</optgroup>
      <optgroup label="Månad">${months.map(([v, l]) => html`<option value=${v} selected=${v === value}>${l}</option>`)}</optgroup>
    </select>
  </div>`;
}
