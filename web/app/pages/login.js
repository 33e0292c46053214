import { html, useState, useRef } from '../lib.js';
import { login, takeEndReason, endMessage } from '../api.js';
import { Field, ErrorSummary, useForm, useTitle } from '../ui.js';

export function LoginPage() {
  useTitle('Logga in');
  const [ended] = useState(() => endMessage(takeEndReason()));
  const { errors, setErrors, busy, run } = useForm();
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
      ${ended && html`<div class="notice" role="status" id="utloggad"><p>${ended}</p></div>`}
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
