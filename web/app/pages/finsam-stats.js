// The förbund's Finsam figures (`#/finsam/statistik`): referrals counted for a chosen month
// or tertial, broken down as the coordinator picks, as a table, a bar chart and a CSV file.
// No personal data: counts below 5 arrive as "<5", withheld ones as "x" (see stats.js).

import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { Select, useTitle, useLoad, Loading, LoadError } from '../ui.js';
import { FiguresTable, BarChart, CsvLink, PeriodPicker, recentPeriods } from '../stats.js';
import { FinsamNav } from './finsam.js';

/** The breakdowns `GET /api/statistics/finsam` offers (`by`), as the picker names them. */
export const FINSAM_BREAKDOWNS = [
  ['', 'Efter anmälande part och beslut'],
  ['decline_reason', 'Avböjda efter skäl'],
  ['outcome', 'Avslutade efter utfall'],
  ['gender', 'Efter kön'],
  ['age_band', 'Efter åldersgrupp'],
];

export function FinsamStatisticsPage({ user }) {
  useTitle('Statistik för Finsam');
  const [period, setPeriod] = useState(recentPeriods().tertials[0][0]);
  const [by, setBy] = useState('');
  const path = `/api/statistics/finsam?period=${encodeURIComponent(period)}${by ? `&by=${by}` : ''}`;
  const [{ loading, data, error }] = useLoad(() => api('GET', path), [path]);
  const label = (FINSAM_BREAKDOWNS.find(([v]) => v === by) || FINSAM_BREAKDOWNS[0])[1];
  return html`<h1 tabindex="-1">Statistik för Finsam</h1>
    <${FinsamNav} user=${user} here="#/finsam/statistik" />
    <p class="ingress">Förbundets anmälningar till Finsamteamet, utan personuppgifter. Små antal visas inte.</p>
    <div class="field-row">
      <${PeriodPicker} value=${period} onChange=${setPeriod} />
      <${Select} name="by" label="Indelning" value=${by} onChange=${(e) => setBy(e.target.value)} options=${FINSAM_BREAKDOWNS} />
    </div>
    <h2>Anmälningar ${label.toLowerCase()}</h2>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && html`
      <${FiguresTable} id="finsam-tabell" figures=${data} caption=${`Anmälningar till Finsamteamet, ${label.toLowerCase()}`} />
      <${BarChart} id="finsam-diagram" figures=${data} title=${`Antal anmälningar, ${label.toLowerCase()}, ${data.period_label}`} />
      ${data.facts && data.facts.length > 0 && html`<dl class="facts" id="finsam-nyckeltal">
        ${data.facts.map((f) => html`<dt>${f.label}</dt><dd>${f.value}</dd>`)}
      </dl>`}
      <${CsvLink} id="csv-finsam" path=${path} filename=${`finsam-${by || 'anmalningar'}-${data.period}.csv`} />`}`;
}
