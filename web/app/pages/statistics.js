// The figures page (#/statistik): rehab inquiries by receiving clinic for a chosen month or
// tertial, as a table, a bar chart and a CSV file, and the declined ones by reason. For those
// who read figures.

import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { useTitle, useLoad, Loading, LoadError } from '../ui.js';
import { FiguresTable, BarChart, CsvLink, PeriodPicker, recentPeriods } from '../stats.js';

export function StatisticsPage() {
  useTitle('Statistik');
  const [period, setPeriod] = useState(recentPeriods().tertials[0][0]);
  const path = `/api/statistics/inquiries?period=${encodeURIComponent(period)}`;
  const [{ loading, data, error }] = useLoad(() => api('GET', path), [period]);
  const declinesPath = `${path}&by=decline_reason`;
  const [declines] = useLoad(() => api('GET', declinesPath), [period]);
  return html`<h1 tabindex="-1">Statistik</h1>
    <p class="ingress">Siffror för er organisation, utan personuppgifter. Små antal visas inte.</p>
    <p><a href="#/statistik/fordjupad">Statistik för fördjupad samverkan</a></p>
    <${PeriodPicker} value=${period} onChange=${setPeriod} />
    <h2>Rehabiliteringsförfrågningar per mottagning</h2>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && html`
      <${FiguresTable} id="forfragningar-tabell" figures=${data} caption="Förfrågningar som skickades under perioden, efter mottagning och hur de står nu" />
      <${BarChart} id="forfragningar-diagram" figures=${data} title=${`Antal förfrågningar per mottagning, ${data.period_label}`} />
      <${CsvLink} id="csv-forfragningar" path=${path} filename=${`forfragningar-${data.period}.csv`} />`}
    <h2>Avböjda förfrågningar per mottagning och skäl</h2>
    ${declines.loading && html`<${Loading} />`}
    ${declines.error && html`<${LoadError} error=${declines.error} />`}
    ${declines.data && html`
      <${FiguresTable} id="avbojda-tabell" figures=${declines.data} caption="Avböjda förfrågningar efter mottagning och skäl" />
      <${CsvLink} id="csv-avbojda" path=${declinesPath} filename=${`avbojda-forfragningar-${declines.data.period}.csv`}
        label="Ladda ned de avböjda som CSV (Excel)" />`}`;
}
