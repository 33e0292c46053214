// The organisation admin's users: create, change name, e-mail and roles, deactivate and
// reactivate, and see when each last signed in. A role change or deactivation ends the
// user's sessions at once (the server does that); the page says so before it happens.

import { html, useState, useRef } from '../lib.js';
import { api } from '../api.js';
import {
  Field, Choices, ErrorSummary, Dialog, useForm, useTitle, useLoad, Loading, LoadError, announce, all, ROLES, fmt,
} from '../ui.js';

const LABELS = {
  username: 'Användarnamn', display_name: 'Namn', email: 'E-post', password: 'Lösenord', roles: 'Roller',
  oidc_identifier: 'Identitet hos identitetsleverantören',
};

function readUser(form, withAccount) {
  const data = new FormData(form);
  const text = (k) => String(data.get(k) || '').trim();
  const body = {
    display_name: text('display_name'), email: text('email'), roles: all(form, 'roles'), oidc_identifier: text('oidc_identifier'),
  };
  const local = {};
  if (withAccount) {
    body.username = text('username');
    const password = String(data.get('password') || '');
    if (!/^[a-z0-9._-]{3,64}$/.test(body.username)) local.username = '3–64 tecken: a–z, 0–9, punkt, understreck, bindestreck.';
    if (password) body.password = password;
    if (password && password.length < 12) local.password = 'Lösenordet ska ha minst 12 tecken.';
    if (!password && !body.oidc_identifier) local.password = 'Ange ett lösenord, eller användarens identitet hos organisationens inloggning.';
  }
  if (!body.display_name) local.display_name = 'Ange användarens namn.';
  if (!body.email) local.email = 'Ange användarens e-postadress.';
  if (!body.roles.length) local.roles = 'Välj minst en roll.';
  return { body, local };
}

export function UsersPage({ user }) {
  useTitle('Användare');
  const [{ loading, data, error }, reload] = useLoad(() => api('GET', '/api/users?limit=200'), []);
  const [dialog, setDialog] = useState(null);
  const items = data ? data.items || data : [];
  const done = (text) => {
    setDialog(null);
    reload();
    announce(text);
  };
  return html`<h1 tabindex="-1">Användare i ${user.organisation_name}</h1>
    <p><button type="button" class="primary" onClick=${() => setDialog({ kind: 'create' })}>Ny användare</button></p>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && items.length === 0 && html`<p class="empty">Organisationen har inga användare.</p>`}
    ${data && items.length > 0 && html`<table id="anvandare">
      <caption class="sr-only">Användare</caption>
      <thead><tr><th scope="col">Namn</th><th scope="col">Användarnamn</th><th scope="col">E-post</th><th scope="col">Roller</th>
        <th scope="col">Status</th><th scope="col">Senast inloggad</th><th scope="col">Identitet</th><th scope="col"><span class="sr-only">Åtgärder</span></th></tr></thead>
      <tbody>${items.map((u) => html`<tr>
        <td>${u.display_name}</td><td>${u.username}</td><td>${u.email}</td>
        <td>${u.roles.map((r) => ROLES[r] || r).join(', ')}</td><td>${u.active ? 'Aktiv' : 'Inaktiverad'}</td>
        <td>${u.last_sign_in_at ? fmt(u.last_sign_in_at) : 'Aldrig'}</td>
        <td>${u.oidc_identifier || '–'}</td>
        <td><div class="row-actions">
          <button type="button" onClick=${() => setDialog({ kind: 'edit', u })}>Ändra<span class="sr-only"> ${u.display_name}</span></button>
          ${u.id !== user.id && html`<button type="button" onClick=${() => setDialog({ kind: 'active', u })}>${u.active ? 'Inaktivera' : 'Aktivera'}<span class="sr-only"> ${u.display_name}</span></button>`}
        </div></td>
      </tr>`)}</tbody>
    </table>`}
    ${dialog && dialog.kind === 'create' && html`<${UserDialog} onClose=${() => setDialog(null)} onDone=${(u) => done(`${u.display_name} är skapad.`)} />`}
    ${dialog && dialog.kind === 'edit' && html`<${UserDialog} u=${dialog.u} onClose=${() => setDialog(null)} onDone=${(u) => done(`Ändringarna för ${u.display_name} är sparade.`)} />`}
    ${dialog && dialog.kind === 'active' && html`<${ActiveDialog} u=${dialog.u} onClose=${() => setDialog(null)}
      onDone=${(u) => done(u.active ? `${u.display_name} är aktiverad igen.` : `${u.display_name} är inaktiverad.`)} />`}`;
}

/** Creates a user (no `u`) or changes one. */
function UserDialog({ u, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const { body, local } = readUser(form.current, !u);
    if (Object.keys(local).length) return setErrors(local);
    run(async () => {
      const saved = u ? await api('PATCH', `/api/users/${u.id}`, body) : await api('POST', '/api/users', body);
      onDone(saved);
    });
    return undefined;
  };
  return html`<${Dialog} title=${u ? `Ändra ${u.display_name}` : 'Ny användare'} onClose=${onClose}>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${LABELS} />
      ${!u && html`<${Field} name="username" label="Användarnamn" required error=${errors.username} autocomplete="off"
        hint="3–64 tecken: a–z, 0–9, punkt, understreck, bindestreck." />`}
      <${Field} name="display_name" label="Namn" required error=${errors.display_name} defaultValue=${u ? u.display_name : ''} autocomplete="off" />
      <${Field} name="email" label="E-post" type="email" required error=${errors.email} defaultValue=${u ? u.email : ''} autocomplete="off" />
      ${!u && html`<${Field} name="password" label="Lösenord" type="password" error=${errors.password} autocomplete="new-password"
        hint="Minst 12 tecken. Ge det till användaren på ett säkert sätt. Lämna tomt för den som bara loggar in genom organisationens inloggning (ange då identiteten nedan)." />`}
      <${Field} name="oidc_identifier" label="Identitet hos identitetsleverantören" error=${errors.oidc_identifier}
        defaultValue=${u ? u.oidc_identifier || '' : ''} autocomplete="off"
        hint="Till exempel HSA-id eller anställningsnummer, som organisationens inloggning skickar. Lämna tomt för enbart lösenord." />
      <${Choices} name="roles" legend="Roller" required error=${errors.roles} options=${Object.entries(ROLES)} checked=${u ? u.roles : []}
        hint=${u ? 'Ändrade roller loggar ut användaren överallt.' : undefined} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>${u ? 'Spara ändringarna' : 'Skapa användaren'}</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

function ActiveDialog({ u, onClose, onDone }) {
  const { errors, busy, run } = useForm();
  const change = () => run(async () => onDone(await api('PATCH', `/api/users/${u.id}`, { active: !u.active })));
  return html`<${Dialog} title=${u.active ? `Inaktivera ${u.display_name}` : `Aktivera ${u.display_name}`} onClose=${onClose}>
    <p>${u.active
      ? 'Användaren loggas ut överallt direkt och kan inte logga in förrän kontot aktiveras igen. Ärenden och historik finns kvar.'
      : 'Användaren kan logga in igen med sina vanliga inloggningsuppgifter.'}</p>
    <${ErrorSummary} errors=${errors} />
    <div class="actions">
      <button class="primary" type="button" onClick=${change} disabled=${busy}>${u.active ? 'Inaktivera' : 'Aktivera'}</button>
      <button type="button" onClick=${onClose}>Avbryt</button>
    </div>
  <//>`;
}
