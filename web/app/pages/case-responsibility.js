// Who is responsible for a case and who has been, with each handover note (continuity is
// the point: the next caseworker reads what the last one knew); handing over, closing
// with a reason and reopening (the owning organisation).

import { html, useState, useRef, useEffect } from '../lib.js';
import { api } from '../api.js';
import { Field, Select, Choices, ErrorSummary, Dialog, useForm, announce, fmt } from '../ui.js';

export const CLOSE_REASONS = {
  goal_reached: 'Målet med samverkan är nått', transferred: 'En annan huvudman eller insats tar över',
  person_declined: 'Personen vill inte fortsätta', moved: 'Personen har flyttat', other: 'Annat skäl',
};

/** The facts line for a closed case: why it was closed. */
export const closeText = (c) => (c.close_reason
  ? `${CLOSE_REASONS[c.close_reason] || c.close_reason}${c.close_text ? `: ${c.close_text}` : ''}` : '');

export function Responsibility({ c, owner, history, user, reload }) {
  const [dialog, setDialog] = useState(null);
  const canChange = owner && user.roles.some((r) => r !== 'org_admin' && r !== 'statistik');
  const done = (text) => {
    setDialog(null);
    reload();
    announce(text);
  };
  return html`<section aria-labelledby="ansvar-rubrik">
    <h2 id="ansvar-rubrik">Ansvariga handläggare</h2>
    <table id="ansvarshistorik">
      <caption class="sr-only">Vem som har varit ansvarig för ärendet</caption>
      <thead><tr><th scope="col">Ansvarig</th><th scope="col">Från</th><th scope="col">Till</th><th scope="col">Överlämningsanteckning</th></tr></thead>
      <tbody>${history.map((p) => html`<tr>
        <td>${p.user_name}${p.to ? '' : html` <span class="flag">Nu</span>`}</td>
        <td>${fmt(p.from)}</td><td>${p.to ? fmt(p.to) : 'Pågår'}</td>
        <td>${p.note ? html`<p class="body">${p.note}</p><span class="hint">Lämnat av ${p.handed_over_by_name || 'okänd'}</span>` : '–'}</td>
      </tr>`)}</tbody>
    </table>
    ${canChange && html`<div class="actions">
      <button type="button" onClick=${() => setDialog('handover')}>Lämna över ärendet</button>
      ${c.status === 'open'
        ? html`<button type="button" onClick=${() => setDialog('close')}>Avsluta ärendet</button>`
        : html`<button type="button" onClick=${() => setDialog('reopen')}>Öppna ärendet igen</button>`}
    </div>`}
    ${dialog === 'handover' && html`<${HandoverDialog} c=${c} onClose=${() => setDialog(null)} onDone=${(name) => done(`Ärendet är överlämnat till ${name}.`)} />`}
    ${dialog === 'close' && html`<${CloseDialog} c=${c} onClose=${() => setDialog(null)} onDone=${() => done('Ärendet är avslutat.')} />`}
    ${dialog === 'reopen' && html`<${ReopenDialog} c=${c} onClose=${() => setDialog(null)} onDone=${() => done('Ärendet är öppnat igen.')} />`}
  </section>`;
}

function HandoverDialog({ c, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const [people, setPeople] = useState(null);
  const form = useRef(null);
  useEffect(() => {
    api('GET', `/api/organisations/${c.owner_organisation_id}/people`)
      .then((list) => setPeople(list.filter((p) => p.id !== c.responsible_user_id)))
      .catch(() => setPeople([]));
  }, []);
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const to = String(data.get('responsible_user_id') || '');
    const note = String(data.get('handover_note') || '').trim();
    if (!to) return setErrors({ responsible_user_id: 'Välj vem som tar över ärendet.' });
    run(async () => {
      await api('PATCH', `/api/cases/${c.id}`, { responsible_user_id: to, handover_note: note || null });
      onDone((people.find((p) => p.id === to) || {}).display_name || 'den nya handläggaren');
    });
    return undefined;
  };
  return html`<${Dialog} title="Lämna över ärendet" onClose=${onClose}>
    <p>Den som tar över blir ansvarig från nu och får en notis. Anteckningen sparas i ärendets historik.</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ responsible_user_id: 'Ny ansvarig', handover_note: 'Överlämningsanteckning' }} />
      <${Select} name="responsible_user_id" label="Ny ansvarig" required error=${errors.responsible_user_id}
        options=${[['', people ? 'Välj handläggare' : 'Hämtar …'], ...(people || []).map((p) => [p.id, p.display_name])]} />
      <${Field} name="handover_note" label="Överlämningsanteckning" multiline error=${errors.handover_note}
        hint="Vad behöver nästa handläggare veta? Planerade möten, kontakter, vad som är på gång." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Lämna över</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

function CloseDialog({ c, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const reason = String(data.get('close_reason') || '');
    const text = String(data.get('close_text') || '').trim();
    if (!reason) return setErrors({ close_reason: 'Välj varför ärendet avslutas.' });
    if (reason === 'other' && !text) return setErrors({ close_text: 'Beskriv varför ärendet avslutas.' });
    run(async () => {
      await api('PATCH', `/api/cases/${c.id}`, { status: 'closed', close_reason: reason, close_text: text || null });
      onDone();
    });
    return undefined;
  };
  return html`<${Dialog} title="Avsluta ärendet" onClose=${onClose}>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ close_reason: 'Varför avslutas ärendet?', close_text: 'Beskrivning' }} />
      <${Choices} name="close_reason" type="radio" legend="Varför avslutas ärendet?" required error=${errors.close_reason}
        options=${Object.entries(CLOSE_REASONS)} />
      <${Field} name="close_text" label="Beskrivning" multiline error=${errors.close_text} hint="Krävs för Annat skäl." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Avsluta ärendet</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

function ReopenDialog({ c, onClose, onDone }) {
  const { errors, busy, run } = useForm();
  const reopen = () => run(async () => {
    await api('PATCH', `/api/cases/${c.id}`, { status: 'open' });
    onDone();
  });
  return html`<${Dialog} title="Öppna ärendet igen" onClose=${onClose}>
    <p>Ärendet blir öppet igen och avslutsorsaken tas bort.</p>
    <${ErrorSummary} errors=${errors} />
    <div class="actions">
      <button class="primary" type="button" onClick=${reopen} disabled=${busy}>Öppna ärendet</button>
      <button type="button" onClick=${onClose}>Avbryt</button>
    </div>
  <//>`;
}
