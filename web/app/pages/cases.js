import { html, useState, useRef, useEffect } from '../lib.js';
import { api } from '../api.js';
import {
  Field, ErrorSummary, useForm, useTitle, useLoad, useLive, Loading, LoadError, checkPersonnummer, fmtDate, fmtPnr, announce,
} from '../ui.js';

// Jobbtorg opens its own cases too (aktualisering, WORKFLOWS.md §5), e.g. to refer to the Finsamteam.
const canOpenCases = (user) => user.roles.some((r) => ['socialsekreterare', 'rehabansvarig', 'bitradande_enhetschef', 'jobbcoach'].includes(r));

export function CasesPage({ user }) {
  useTitle('Ärenden');
  const [{ loading, data, error }, reload] = useLoad((background) => api('GET', '/api/cases?status=open&limit=200', undefined, { background }));
  useLive((e) => {
    if (e.type.startsWith('case.') || e.type.startsWith('consent.') || e.type === 'access_revoked') reload(true);
  });
  const shown = useRef(null);
  useEffect(() => {
    if (!data) return;
    const n = data.items.length;
    if (shown.current !== null && n !== shown.current) announce(`Ärendelistan har uppdaterats: ${n} ärenden.`);
    shown.current = n;
  }, [data]);
  const mine = data ? data.items.filter((c) => c.responsible_user_id === user.id) : [];
  const others = data ? data.items.filter((c) => c.responsible_user_id !== user.id) : [];
  const table = (items, caption) => html`<table>
    <caption>${caption}</caption>
    <thead><tr><th scope="col">Individ</th><th scope="col">Personnummer</th><th scope="col">Ärende</th><th scope="col">Ägs av</th><th scope="col">Ansvarig</th><th scope="col">Öppnat</th></tr></thead>
    <tbody>${items.map((c) => html`<tr>
      <td><a href=${`#/arenden/${c.id}`}>${c.individual_name}</a></td>
      <td>${fmtPnr(c.personnummer)}</td><td>${c.title}</td><td>${c.owner_organisation_name}</td>
      <td>${c.responsible_user_name}</td><td>${fmtDate(c.created_at)}</td></tr>`)}</tbody>
  </table>`;
  return html`<h1 tabindex="-1">Ärenden</h1>
    ${canOpenCases(user) && html`<p><a class="button" href="#/arenden/ny">Registrera individ och öppna ärende</a></p>`}
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && html`<div id="arendelista">
      ${data.items.length === 0 && html`<p class="empty">Du har inga öppna ärenden att visa.</p>`}
      ${mine.length > 0 && table(mine, 'Mina ärenden')}
      ${others.length > 0 && table(others, canOpenCases(user) ? 'Andra ärenden jag kan se' : 'Ärenden som delas med min organisation')}
    </div>`}`;
}

export function NewCasePage() {
  useTitle('Registrera individ och öppna ärende');
  const { errors, setErrors, busy, run } = useForm();
  const [pnrError, setPnrError] = useState(null);
  const [pnrOk, setPnrOk] = useState(false);
  const form = useRef(null);
  const onPnr = (e) => {
    const value = e.currentTarget.value;
    const digits = value.replace(/[^0-9]/g, '').length;
    const problem = checkPersonnummer(value);
    // While typing the first digits, say nothing; from twelve digits (or a wrong character) on, say what is wrong.
    setPnrError(problem && (digits >= 12 || /[^0-9 +-]/.test(value)) ? problem : null);
    setPnrOk(!problem);
  };
  const onPnrBlur = (e) => {
    if (e.currentTarget.value.trim()) setPnrError(checkPersonnummer(e.currentTarget.value));
  };
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const personnummer = String(data.get('personnummer') || '').trim();
    const name = String(data.get('name') || '').trim();
    const title = String(data.get('title') || '').trim();
    const local = {};
    const pnr = personnummer ? checkPersonnummer(personnummer) : 'Ange personnummer eller samordningsnummer.';
    if (pnr) local.personnummer = pnr;
    if (!name) local.name = 'Ange individens namn.';
    if (!title) local.title = 'Ange en rubrik för ärendet.';
    if (Object.keys(local).length) {
      setPnrError(local.personnummer || null);
      return setErrors(local);
    }
    run(async () => {
      const individual = await api('POST', '/api/individuals', { personnummer, name, protected_identity: data.get('protected_identity') === 'on' });
      const opened = await api('POST', '/api/cases', { individual_id: individual.id, title });
      location.hash = `#/arenden/${opened.id}`;
    });
    return undefined;
  };
  const labels = { personnummer: 'Personnummer', name: 'Namn', title: 'Ärendets rubrik', individual_id: 'Individ' };
  return html`<h1 tabindex="-1">Registrera individ och öppna ärende</h1>
    <${ErrorSummary} errors=${errors} labels=${labels} />
    <form ref=${form} onSubmit=${submit} novalidate>
      <${Field} name="personnummer" label="Personnummer eller samordningsnummer" required live inputmode="numeric" autocomplete="off"
        hint="12 siffror: ÅÅÅÅMMDD-NNNN. Numret kontrolleras medan du skriver."
        error=${pnrError || errors.personnummer} onInput=${onPnr} onBlur=${onPnrBlur} />
      ${pnrOk && !pnrError && html`<p class="ok" id="pnr-ok">Numret är giltigt.</p>`}
      <${Field} name="name" label="Namn" required autocomplete="off" error=${errors.name} />
      <div class="choice"><input type="checkbox" id="f-protected_identity" name="protected_identity" />
        <label for="f-protected_identity">Skyddade personuppgifter</label></div>
      <${Field} name="title" label="Ärendets rubrik" required defaultValue="Rehabilitering och stöd mot arbete" error=${errors.title} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Registrera och öppna ärende</button>
        <a href="#/arenden">Avbryt</a>
      </div>
    </form>`;
}
