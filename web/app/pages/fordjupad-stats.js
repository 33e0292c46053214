// The figures of fördjupad samverkan (`#/statistik/fordjupad`), for those who read figures: the
// steering group's table as seed 004 reports it (clients, target group, long assistance, with a
// plan, by phase group, beside the same point a year before) for a chosen date or period, and
// its breakdowns (gender, age band, where cases stall), each as a table, an inline SVG chart and
// a CSV file. Counts below 5 arrive as "<5" and withheld ones as "x" (see web/app/stats.js).

import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { useTitle, useLoad, Loading, LoadError } from '../ui.js';
import { FiguresTable, BarChart, CsvLink, PeriodPicker, recentPeriods } from '../stats.js';
import { isoToday } from './fordjupad-common.js';

/** The breakdowns the figures route offers (`by`), with the heading each is shown under. */
export const BREAKDOWNS = [
  ['', 'Styrgruppens tabell'],
  ['gender', 'Efter kön'],
  ['age_band', 'Efter åldersgrupp'],
  ['stall', 'Var ärendena står still'],
];

export function FordjupadFiguresPage() {
  useTitle('Statistik för fördjupad samverkan');
  const [mode, setMode] = useState('date');
  const [date, setDate] = useState(isoToday());
  const [period, setPeriod] = useState(recentPeriods().tertials[0][0]);
  const [by, setBy] = useState('');
  const when = mode === 'date' ? `date=${encodeURIComponent(date)}` : `period=${encodeURIComponent(period)}`;
  const path = `/api/statistics/fordjupad?${when}${by ? `&by=${by}` : ''}`;
  const [{ loading, data, error }] = useLoad(() => api('GET', path), [path]);
  const heading = (BREAKDOWNS.find(([v]) => v === by) || BREAKDOWNS[0])[1];
  return html`<h1 tabindex="-1">Statistik för fördjupad samverkan</h1>
    <p class="ingress">Siffror för er organisations ärenden i fördjupad samverkan, utan personuppgifter. Små antal visas inte.</p>
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
      <div class="field"><label for="uppdelning">Visa</label>
        <select id="uppdelning" name="by" value=${by} onChange=${(e) => setBy(e.currentTarget.value)}>
          ${BREAKDOWNS.map(([v, l]) => html`<option value=${v} selected=${v === by}>${l}</option>`)}
        </select></div>
    </form>
    <h2>${heading}</h2>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && html`
      <${FiguresTable} id="fordjupad-tabell" figures=${data} caption=${`Fördjupad samverkan: ${heading.toLowerCase()}`} />
      <${BarChart} id="fordjupad-diagram" figures=${data} title=${`${heading}, ${data.period_label}`} />
      <${CsvLink} id="csv-fordjupad" path=${path} filename=${`fordjupad-${by || 'styrgrupp'}-${data.period}.csv`} />`}`;
}
