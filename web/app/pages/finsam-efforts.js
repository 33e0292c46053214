// The förbund's insatskatalog (`#/finsam/insatser`): the Finsam efforts an outcome
// `finsam_effort` names. The förbund's organisation admin adds, renames, describes and
// deactivates efforts (an inactive one stays for the outcomes that name it); the
// coordinators read the list.

import { html, useState, useRef } from '../lib.js';
import { api } from '../api.js';
import {
  Field, ErrorSummary, Dialog, useForm, useTitle, useLoad, Loading, LoadError, announce, formObject,
} from '../ui.js';
import { FinsamNav } from './finsam.js';

const LABELS = { name: 'Namn', description: 'Beskrivning' };

export function EffortsPage({ user }) {
  useTitle('Insatskatalog');
  const admin = user.roles.includes('org_admin');
  const [{ loading, data, error }, reload] = useLoad(() => api('GET', '/api/finsam/efforts'), []);
  const [editing, setEditing] = useState(null);
  const [problem, setProblem] = useState(null);
  const toggle = async (effort) => {
    setProblem(null);
    try {
      await api('PATCH', `/api/finsam/efforts/${effort.id}`, { active: !effort.active });
      reload();
      announce(effort.active ? `${effort.name} erbjuds inte längre.` : `${effort.name} erbjuds igen.`);
    } catch (err) {
      setProblem(err.message);
    }
  };
  return html`<h1 tabindex="-1">Insatskatalog</h1>
    ${user.roles.some((r) => r !== 'org_admin') && html`<${FinsamNav} user=${user} here="#/finsam/insatser" />`}
    <p>Förbundets Finsam-insatser. När en anmälan avslutas med en Finsam-insats väljs den härifrån.${admin ? ' En insats som inte längre erbjuds finns kvar för de anmälningar som redan nämner den.' : ''}</p>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${problem && html`<div class="error-summary" role="alert"><p>${problem}</p></div>`}
    ${data && data.length === 0 && html`<p class="empty" role="status">Insatskatalogen är tom.</p>`}
    ${data && data.length > 0 && html`<table id="insatskatalog">
      <caption class="sr-only">Förbundets insatser</caption>
      <thead><tr><th scope="col">Insats</th><th scope="col">Beskrivning</th><th scope="col">Erbjuds</th>
        ${admin && html`<th scope="col"><span class="sr-only">Åtgärder</span></th>`}</tr></thead>
      <tbody>${data.map((x) => html`<tr>
        <td>${x.name}</td><td class="body">${x.description || '–'}</td><td>${x.active ? 'Ja' : 'Nej'}</td>
        ${admin && html`<td><div class="row-actions">
          <button type="button" onClick=${() => setEditing(x)}>Ändra<span class="sr-only"> ${x.name}</span></button>
          <button type="button" onClick=${() => toggle(x)}>${x.active ? 'Sluta erbjuda' : 'Erbjud igen'}<span class="sr-only"> ${x.name}</span></button>
        </div></td>`}
      </tr>`)}</tbody>
    </table>`}
    ${admin && html`<${NewEffort} onDone=${() => { reload(); announce('Insatsen är tillagd.'); }} />`}
    ${editing && html`<${EditDialog} effort=${editing} onClose=${() => setEditing(null)}
      onDone=${() => { setEditing(null); reload(); announce('Insatsen är ändrad.'); }} />`}`;
}

function NewEffort({ onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const d = formObject(form.current);
    if (!d.name) return setErrors({ name: 'Ange insatsens namn.' });
    run(async () => {
      await api('POST', '/api/finsam/efforts', { name: d.name, description: d.description || '' });
      form.current.reset();
      onDone();
    });
    return undefined;
  };
  return html`<form ref=${form} onSubmit=${submit} novalidate class="panel" aria-labelledby="ny-insats-rubrik">
    <h2 id="ny-insats-rubrik">Lägg till insats</h2>
    <${ErrorSummary} errors=${errors} labels=${LABELS} />
    <${Field} name="name" label="Namn" required error=${errors.name} />
    <${Field} name="description" label="Beskrivning" multiline error=${errors.description} />
    <button class="primary" type="submit" disabled=${busy}>Lägg till insatsen</button>
  </form>`;
}

function EditDialog({ effort, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const d = formObject(form.current);
    if (!d.name) return setErrors({ name: 'Ange insatsens namn.' });
    run(async () => {
      await api('PATCH', `/api/finsam/efforts/${effort.id}`, { name: d.name, description: d.description || '' });
      onDone();
    });
    return undefined;
  };
  return html`<${Dialog} title=${`Ändra insatsen ${effort.name}`} onClose=${onClose}>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${LABELS} />
      <${Field} name="name" label="Namn" required error=${errors.name} defaultValue=${effort.name} />
      <${Field} name="description" label="Beskrivning" multiline error=${errors.description} defaultValue=${effort.description} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Spara</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}
