// The figures of fördjupad samverkan (`#/statistik/fordjupad`), for those who read figures: the
// steering group's table as seed 004 reports it (clients, target group, long assistance, with a
// plan, by phase group, beside the same point a year before) for a chosen date or period, and
// its breakdowns (gender, age band, where cases stall, escalations), each as a table, an
// inline SVG chart and a CSV file (`GET /api/statistics/fordjupad`). Counts below 5 arrive as
// "<5" and withheld ones as "x" (see web/app/stats.js).

import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { useTitle, useLoad, Loading, LoadError } from '../ui.js';
import { FiguresTable, BarChart, CsvLink, PeriodPicker, recentPeriods } from '../stats.js';
import { isoToday } from './fordjupad-common.js';

/** The tables the figures route counts (`table`), as the steering group reads them. */
export const TABLES = [
  ['phase', 'Efter fas'],
  ['target_group', 'Målgrupp efter kodning'],
  ['assistance', 'Tid med ekonomiskt bistånd'],
  ['plan', 'Med och utan progressionsplan'],
  ['stall', 'Där fasen står still'],
  ['escalations', 'Eskalerade uppföljningar det senaste året'],
];
/** Its columns (`by`). */
export const COLUMNS = [['gender', 'Kön'], ['age_band', 'Åldersgrupp'], ['year', 'Jämfört med ett år tidigare']];

const label = (list, value) => (list.find(([v]) => v === value) || list[0])[1];

function Picker({ id, name, text, value, options, onChange }) {
  return html`<div class="field"><label for=${id}>${text}</label>
    <select id=${id} name=${name} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, l]) => html`<option value=${v} selected=${v === value}>${l}</option>`)}
    </select></div>`;
}

export function FordjupadFiguresPage() {
  useTitle('Statistik för fördjupad samverkan');
  const [mode, setMode] = useState('date');
  const [date, setDate] = useState(isoToday());
  const [period, setPeriod] = useState(recentPeriods().tertials[0][0]);
  const [table, setTable] = useState('phase');
  const [by, setBy] = useState('year');
  const [stall, setStall] = useState('6');
  const when = mode === 'date' ? `date=${encodeURIComponent(date)}` : `period=${encodeURIComponent(period)}`;
  const path = `/api/statistics/fordjupad?${when}&table=${table}&by=${by}${table === 'stall' ? `&stall_months=${stall}` : ''}`;
  const [{ loading, data, error }] = useLoad(() => api('GET', path), [path]);
  const heading = `${label(TABLES, table)}, ${label(COLUMNS, by).toLowerCase()}`;
  return html`<h1 tabindex="-1">Statistik för fördjupad samverkan</h1>
    <p class="ingress">Siffror för er organisations klienter i fördjupad samverkan, utan personuppgifter, räknade ur det som är sparat: fas, kodning, planer och eskaleringar. Små antal visas inte.</p>
    <p><a href="#/statistik">Statistik för rehabiliteringsförfrågningar</a></p>
    <form class="search" aria-label="Välj vad som räknas" onSubmit=${(e) => e.preventDefault()}>
      <fieldset class="field">
        <legend>Räkna vid</legend>
        <div class="choice"><input type="radio" id="tid-datum" name="mode" value="date" checked=${mode === 'date'} onChange=${() => setMode('date')} />
          <label for="tid-datum">Ett datum</label></div>
        <div class="choice"><input type="radio" id="tid-period" name="mode" value="period" checked=${mode === 'period'} onChange=${() => setMode('period')} />
          <label for="tid-period">Slutet av en period</label></div>
      </fieldset>
      ${mode === 'date'
        ? html`<div class="field"><label for="datum">Datum</label>
            <input type="date" id="datum" name="date" value=${date} max=${isoToday()} onChange=${(e) => e.currentTarget.value && setDate(e.currentTarget.value)} /></div>`
        : html`<${PeriodPicker} value=${period} onChange=${setPeriod} />`}
      <${Picker} id="tabell" name="table" text="Tabell" value=${table} options=${TABLES} onChange=${setTable} />
      <${Picker} id="uppdelning" name="by" text="Kolumner" value=${by} options=${COLUMNS} onChange=${setBy} />
      ${table === 'stall' && html`<${Picker} id="stilla" name="stall_months" text="Står still i minst" value=${stall}
        options=${[3, 6, 9, 12].map((n) => [String(n), `${n} månader`])} onChange=${setStall} />`}
    </form>
    <h2>${heading}</h2>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && html`
      <${FiguresTable} id="fordjupad-tabell" figures=${data} caption=${`${data.row_heading}: ${heading.toLowerCase()}`} />
      <${BarChart} id="fordjupad-diagram" figures=${data} title=${`${label(TABLES, table)}, ${data.period_label}`} />
      <${CsvLink} id="csv-fordjupad" path=${path} filename=${`fordjupad-samverkan-${data.period}.csv`} />`}`;
}
