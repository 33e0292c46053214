// The draft editor of a plan: the individual's own goal, goals (huvudmål and delmål), actions
// (what, responsible organisation and person, by when, which goal), the overall responsibility,
// the follow-up date and the readers; a progressionsplan's actions also carry their category
// 1–5, which says who follows them up. Field names are the API's paths (`actions[2].due_on`), so
// the server's field errors land beside their fields.

import { html, useState, useEffect } from '../lib.js';
import { Field, Select, ErrorSummary, fieldId } from '../ui.js';
import { GOAL_LEVELS, uuid, peopleOf, contentOrganisations } from './plan-common.js';
import { CATEGORIES, holderText } from './fordjupad-common.js';

/** An empty draft's content, or a copy of `content` with every field present. */
export function editable(content) {
  const c = content || {};
  return {
    own_goal: c.own_goal || '',
    goals: (c.goals || []).map((g) => ({ ...g, serves: g.serves || '' })),
    actions: (c.actions || []).map((a) => ({
      ...a, due_on: a.due_on || '', goal_id: a.goal_id || '', category: a.category ? String(a.category) : '',
      responsible: { organisation_id: a.responsible.organisation_id, person_id: a.responsible.person_id || '' },
    })),
    overall: { organisation_id: (c.overall && c.overall.organisation_id) || '', person_id: (c.overall && c.overall.person_id) || '' },
    follow_up_on: c.follow_up_on || '',
    readers: [...(c.readers || [])],
  };
}

const orNull = (v) => (v === '' || v === undefined ? null : v);
const trimmed = (v) => orNull(String(v || '').trim());

/** The editor's state as the API's PlanContent. */
export function toContent(c) {
  return {
    own_goal: trimmed(c.own_goal),
    goals: c.goals.map((g) => ({ id: g.id, level: g.level, text: String(g.text || '').trim(), serves: g.level === 'delmal' ? orNull(g.serves) : null })),
    actions: c.actions.map((a) => ({
      id: a.id, what: String(a.what || '').trim(),
      responsible: { organisation_id: a.responsible.organisation_id, person_id: orNull(a.responsible.person_id) },
      due_on: orNull(a.due_on), goal_id: orNull(a.goal_id), status: a.status || 'planned',
      status_on: orNull(a.status_on), note: orNull(a.note), category: a.category ? Number(a.category) : null,
    })),
    overall: c.overall.organisation_id ? { organisation_id: c.overall.organisation_id, person_id: orNull(c.overall.person_id) } : null,
    follow_up_on: orNull(c.follow_up_on),
    readers: c.readers,
  };
}

/** What the browser can tell before sending: an action needs a responsible organisation. */
export function localProblems(c) {
  const errors = {};
  c.actions.forEach((a, i) => {
    if (!a.responsible.organisation_id) errors[`actions[${i}].responsible.organisation_id`] = 'Välj vilken organisation som ansvarar.';
  });
  return errors;
}

const FIELD_WORDS = {
  own_goal: 'Individens eget mål', goals: 'Mål', actions: 'Insatser', overall: 'Övergripande ansvar',
  'overall.organisation_id': 'Övergripande ansvar, organisation', 'overall.person_id': 'Övergripande ansvar, person',
  follow_up_on: 'Gemensam uppföljning', readers: 'Läsare', level: 'nivå', text: 'text', serves: 'huvudmål',
  what: 'vad ska göras', 'responsible.organisation_id': 'ansvarig organisation', 'responsible.person_id': 'ansvarig person',
  responsible: 'ansvarig', due_on: 'klart senast', goal_id: 'mål', status: 'status', note: 'notering',
  category: 'kategori',
};

/** A Swedish name for an API field path: "Insats 3, klart senast". */
export function fieldLabel(path) {
  const m = /^(goals|actions)\[(\d+)\](?:\.(.+))?$/.exec(path);
  if (!m) return FIELD_WORDS[path] || path;
  const head = `${m[1] === 'goals' ? 'Mål' : 'Insats'} ${Number(m[2]) + 1}`;
  return m[3] ? `${head}, ${FIELD_WORDS[m[3]] || m[3]}` : head;
}

export const labelsFor = (errors) => Object.fromEntries(Object.keys(errors || {}).map((k) => [k, fieldLabel(k)]));

/** The people of the organisations in the draft, loaded as organisations are picked. */
function usePeople(orgIds) {
  const [people, setPeople] = useState({});
  const key = orgIds.join(',');
  useEffect(() => {
    let alive = true;
    Promise.all(orgIds.map((o) => peopleOf(o).then((list) => [o, list]))).then((pairs) => {
      if (alive) setPeople(Object.fromEntries(pairs));
    });
    return () => { alive = false; };
  }, [key]);
  return people;
}

function PersonSelect({ name, label, orgId, value, people, error, onChange }) {
  const list = people[orgId] || [];
  return html`<${Select} name=${name} label=${label} error=${error} value=${value}
    onChange=${(e) => onChange(e.target.value)}
    options=${[['', orgId ? 'Ingen särskild person' : 'Välj organisation först'], ...list.map((p) => [p.id, p.display_name])]} />`;
}

export function PlanEditor({ content: c, setContent, errors, orgs, ownerId, onSave, onAdopt, busy, heading = 'Utkast', kind }) {
  const categorised = kind === 'progressionsplan';
  const people = usePeople([...new Set([...contentOrganisations(toContent(c)), ...c.actions.map((a) => a.responsible.organisation_id)].filter(Boolean))]);
  const set = (fn) => setContent((prev) => {
    const next = JSON.parse(JSON.stringify(prev));
    fn(next);
    return next;
  });
  const orgOptions = [['', 'Välj organisation'], ...orgs.map((o) => [o.id, o.name])];
  const mains = c.goals.filter((g) => g.level === 'huvudmal');
  const goalName = (g) => `${GOAL_LEVELS[g.level]} ${c.goals.indexOf(g) + 1}: ${(g.text || '').slice(0, 50) || '(utan text)'}`;
  const focusLater = (id) => setTimeout(() => document.getElementById(id)?.focus(), 0);
  const addGoal = (level) => {
    const i = c.goals.length;
    set((n) => { n.goals.push({ id: uuid(), level, text: '', serves: level === 'delmal' && mains[0] ? mains[0].id : '' }); });
    focusLater(fieldId(`goals[${i}].text`));
  };
  const removeGoal = (i) => {
    const id = c.goals[i].id;
    set((n) => {
      n.goals.splice(i, 1);
      n.goals.forEach((g) => { if (g.serves === id) g.serves = ''; });
      n.actions.forEach((a) => { if (a.goal_id === id) a.goal_id = ''; });
    });
    focusLater('mal-rubrik');
  };
  const addAction = () => {
    const i = c.actions.length;
    set((n) => { n.actions.push({ id: uuid(), what: '', responsible: { organisation_id: '', person_id: '' }, due_on: '', goal_id: '', status: 'planned', status_on: null, note: null, category: '' }); });
    focusLater(fieldId(`actions[${i}].what`));
  };
  const removeAction = (i) => {
    set((n) => { n.actions.splice(i, 1); });
    focusLater('insatser-rubrik');
  };
  const err = (path) => errors[path];
  const submit = (e) => {
    e.preventDefault();
    onSave();
  };
  return html`<form onSubmit=${submit} novalidate class="plan-editor" aria-labelledby="utkast-rubrik">
    <h2 id="utkast-rubrik" tabindex="-1">${heading}</h2>
    <p>Utkastet syns bara för er organisation tills planen fastställs. Alla organisationer i planen måste omfattas av ett samtycke för planens ändamål.</p>
    <${ErrorSummary} errors=${errors} labels=${labelsFor(errors)} />
    <${Field} name="own_goal" label="Individens eget mål" hint="Med individens egna ord." multiline error=${err('own_goal')}
      value=${c.own_goal} onInput=${(e) => set((n) => { n.own_goal = e.target.value; })} />

    <h3 id="mal-rubrik" tabindex="-1">Mål</h3>
    <div id=${fieldId('goals')} tabindex="-1" class=${err('goals') ? 'has-error' : ''}>
      ${err('goals') && html`<p class="error"><span class="sr-only">Fel: </span>${err('goals')}</p>`}
      ${c.goals.length === 0 && html`<p class="empty">Inga mål ännu.</p>`}
      ${c.goals.map((g, i) => html`<fieldset class="field item" id=${fieldId(`goals[${i}]`)} tabindex="-1">
        <legend>Mål ${i + 1}</legend>
        ${err(`goals[${i}]`) && html`<p class="error"><span class="sr-only">Fel: </span>${err(`goals[${i}]`)}</p>`}
        <${Select} name=${`goals[${i}].level`} label="Nivå" value=${g.level} error=${err(`goals[${i}].level`)}
          onChange=${(e) => set((n) => { n.goals[i].level = e.target.value; if (e.target.value === 'huvudmal') n.goals[i].serves = ''; })}
          options=${Object.entries(GOAL_LEVELS)} />
        <${Field} name=${`goals[${i}].text`} label="Målet" multiline required value=${g.text} error=${err(`goals[${i}].text`)}
          onInput=${(e) => set((n) => { n.goals[i].text = e.target.value; })} />
        ${g.level === 'delmal' && html`<${Select} name=${`goals[${i}].serves`} label="Hör till huvudmål" value=${g.serves}
          error=${err(`goals[${i}].serves`)} onChange=${(e) => set((n) => { n.goals[i].serves = e.target.value; })}
          options=${[['', 'Välj huvudmål'], ...mains.map((m) => [m.id, goalName(m)])]} />`}
        <button type="button" onClick=${() => removeGoal(i)}>Ta bort mål ${i + 1}</button>
      </fieldset>`)}
      <div class="row-actions">
        <button type="button" onClick=${() => addGoal('huvudmal')}>Lägg till huvudmål</button>
        <button type="button" onClick=${() => addGoal('delmal')} disabled=${mains.length === 0}>Lägg till delmål</button>
      </div>
    </div>

    <h3 id="insatser-rubrik" tabindex="-1">Insatser</h3>
    <div id=${fieldId('actions')} tabindex="-1" class=${err('actions') ? 'has-error' : ''}>
      ${err('actions') && html`<p class="error"><span class="sr-only">Fel: </span>${err('actions')}</p>`}
      ${c.actions.length === 0 && html`<p class="empty">Inga insatser ännu.</p>`}
      ${c.actions.map((a, i) => {
        const p = `actions[${i}]`;
        return html`<fieldset class="field item" id=${fieldId(p)} tabindex="-1">
          <legend>Insats ${i + 1}</legend>
          ${err(p) && html`<p class="error"><span class="sr-only">Fel: </span>${err(p)}</p>`}
          <${Field} name=${`${p}.what`} label="Vad ska göras" required value=${a.what} error=${err(`${p}.what`)}
            onInput=${(e) => set((n) => { n.actions[i].what = e.target.value; })} />
          <div class="field-row">
            <${Select} name=${`${p}.responsible.organisation_id`} label="Ansvarig organisation" required value=${a.responsible.organisation_id}
              error=${err(`${p}.responsible.organisation_id`) || err(`${p}.responsible`)} options=${orgOptions}
              onChange=${(e) => set((n) => { n.actions[i].responsible = { organisation_id: e.target.value, person_id: '' }; })} />
            <${PersonSelect} name=${`${p}.responsible.person_id`} label="Ansvarig person" orgId=${a.responsible.organisation_id}
              value=${a.responsible.person_id} people=${people} error=${err(`${p}.responsible.person_id`)}
              onChange=${(v) => set((n) => { n.actions[i].responsible.person_id = v; })} />
          </div>
          <div class="field-row">
            <${Field} name=${`${p}.due_on`} label="Klart senast" type="date" value=${a.due_on} error=${err(`${p}.due_on`)}
              onInput=${(e) => set((n) => { n.actions[i].due_on = e.target.value; })} />
            <${Select} name=${`${p}.goal_id`} label="Mål som insatsen hör till" value=${a.goal_id} error=${err(`${p}.goal_id`)}
              onChange=${(e) => set((n) => { n.actions[i].goal_id = e.target.value; })}
              options=${[['', 'Inget särskilt mål'], ...c.goals.map((g) => [g.id, goalName(g)])]} />
          </div>
          ${categorised && html`<div class="field-row">
            <${Select} name=${`${p}.category`} label="Kategori" value=${a.category} error=${err(`${p}.category`)}
              onChange=${(e) => set((n) => { n.actions[i].category = e.target.value; })}
              options=${[['', 'Ingen kategori'], ...Object.entries(CATEGORIES).map(([k, v]) => [k, `${k} – ${v}`])]} />
            <p class="hint follow-up-holder" id=${`${fieldId(p)}-uppfoljning`} aria-live="polite">${a.category ? `Uppföljningsansvar: ${holderText(a.category).replace(' följer upp', '')}.` : 'Kategorin avgör vem som följer upp insatsen.'}</p>
          </div>`}
          <button type="button" onClick=${() => removeAction(i)}>Ta bort insats ${i + 1}</button>
        </fieldset>`;
      })}
      <div class="row-actions"><button type="button" onClick=${addAction}>Lägg till insats</button></div>
    </div>

    <h3>Ansvar och uppföljning</h3>
    <fieldset class="field" id=${fieldId('overall')} tabindex="-1">
      <legend>${categorised ? 'Uppföljningsansvar' : 'Övergripande ansvar'}</legend>
      ${err('overall') && html`<p class="error"><span class="sr-only">Fel: </span>${err('overall')}</p>`}
      <div class="field-row">
        <${Select} name="overall.organisation_id" label="Organisation" value=${c.overall.organisation_id} options=${orgOptions}
          error=${err('overall.organisation_id')} onChange=${(e) => set((n) => { n.overall = { organisation_id: e.target.value, person_id: '' }; })} />
        <${PersonSelect} name="overall.person_id" label="Person" orgId=${c.overall.organisation_id} value=${c.overall.person_id}
          people=${people} error=${err('overall.person_id')} onChange=${(v) => set((n) => { n.overall.person_id = v; })} />
      </div>
    </fieldset>
    <${Field} name="follow_up_on" label="Datum för gemensam uppföljning" type="date" value=${c.follow_up_on} error=${err('follow_up_on')}
      onInput=${(e) => set((n) => { n.follow_up_on = e.target.value; })} />
    <fieldset class="field" id=${fieldId('readers')} tabindex="-1">
      <legend>Organisationer som läser planen utan egen insats</legend>
      ${err('readers') && html`<p class="error"><span class="sr-only">Fel: </span>${err('readers')}</p>`}
      <div class="compact-choices">${orgs.filter((o) => o.id !== ownerId).map((o, i) => html`<div class="choice">
        <input type="checkbox" id=${`f-readers-${i}`} checked=${c.readers.includes(o.id)}
          onChange=${(e) => set((n) => { n.readers = e.target.checked ? [...n.readers, o.id] : n.readers.filter((r) => r !== o.id); })} />
        <label for=${`f-readers-${i}`}>${o.name}</label>
      </div>`)}</div>
    </fieldset>
    <div class="actions">
      <button class="primary" type="submit" disabled=${busy}>Spara utkastet</button>
      ${onAdopt && html`<button type="button" onClick=${onAdopt} disabled=${busy}>Fastställ planen …</button>`}
    </div>
  </form>`;
}
