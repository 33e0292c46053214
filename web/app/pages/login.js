import { html, useState, useRef, useEffect } from '../lib.js';
import {
  api, login, loginWithCode, takeEndReason, endMessage,
} from '../api.js';
import { Field, ErrorSummary, useForm, useTitle } from '../ui.js';

/** "Logga in med …" per organisation and identity provider, when any are configured. */
function Providers() {
  const [list, setList] = useState([]);
  useEffect(() => {
    api('GET', '/api/auth/providers').then(setList).catch(() => setList([]));
  }, []);
  if (!list.length) return null;
  return html`<section aria-labelledby="idp-rubrik" class="providers">
    <h2 id="idp-rubrik">Logga in via din organisation</h2>
    <ul>${list.map((p) => html`<li><a class="button primary" href=${p.start_url}>Logga in med ${p.label}<span class="sr-only"> (${p.organisation_name})</span></a>
      <span class="hint"> ${p.organisation_name}</span></li>`)}</ul>
    <h2>Logga in med lösenord</h2>
  </section>`;
}

export function LoginPage() {
  useTitle('Logga in');
  const [endedRaw] = useState(() => takeEndReason());
  const ended = endMessage(endedRaw);
  const endSession = endedRaw && endedRaw.endSession;
  const { errors, setErrors, busy, run } = useForm();
  // Back from an identity provider: the one-time code in the fragment becomes the session.
  const handoff = /^#\/inloggning\/([0-9a-f]{16,200})$/.exec(location.hash);
  useEffect(() => {
    if (!handoff) return;
    history.replaceState(null, '', `${location.pathname}#/`);
    run(async () => {
      await loginWithCode(handoff[1]);
      location.hash = '#/';
    });
  }, []);
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const username = String(data.get('username') || '').trim();
    const password = String(data.get('password') || '');
    const missing = {};
    if (!username) missing.username = 'Ange ditt användarnamn.';
    if (!password) missing.password = 'Ange ditt lösenord.';
    if (Object.keys(missing).length) return setErrors(missing);
    run(async () => {
      await login(username, password);
      // A link from an e-mail (to a meeting or a notification) opens once signed in.
      if (!/^#\/(moten|notiser)(\/[0-9a-f-]+)?$/.test(location.hash)) location.hash = '#/';
    });
    return undefined;
  };
  return html`
    <header class="top"><p class="brand">Samverkan</p></header>
    <main id="innehall" tabindex="-1" class="narrow">
      <h1>Logga in</h1>
      <p class="ingress">Samverkan kring rehabilitering: en gemensam plats för socialtjänst, vårdcentraler,
        psykiatri, Jobbtorg, Försäkringskassan, Arbetsförmedlingen och samordningsförbundet.</p>
      ${ended && html`<div class="notice" role="status" id="utloggad"><p>${ended}</p>
        ${endSession && html`<p><a href=${endSession} id="logga-ut-idp">Logga ut även hos din organisations inloggningstjänst</a></p>`}</div>`}
      ${handoff && busy && html`<p role="status">Loggar in …</p>`}
      <${Providers} />
      <${ErrorSummary} errors=${errors} labels=${{ username: 'Användarnamn', password: 'Lösenord' }} />
      <form ref=${form} onSubmit=${submit} novalidate>
        <${Field} name="username" label="Användarnamn" autocomplete="username" required error=${errors.username} />
        <${Field} name="password" label="Lösenord" type="password" autocomplete="current-password" required error=${errors.password} />
        <button class="primary" type="submit" disabled=${busy}>Logga in</button>
      </form>
      <p class="hint">Du loggas ut efter 15 minuter utan aktivitet och efter högst 12 timmar.</p>
    </main>
    <footer><p>Samverkan – ett nav för samverkan kring rehabilitering.</p></footer>`;
}
