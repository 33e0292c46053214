// Anmäl till Finsamteam: the referral's form, new from a case (`#/arenden/{id}/finsam/ny`) or
// a draft changed (`#/finsam/anmalningar/{id}/andra`). It is saved as a draft or sent; sending
// needs a written consent for Finsamteam that we recorded, covering the förbund and its team
// (the API decides: 409 consent_missing names what is missing, shown at the consent).

import { html, useRef, useState } from '../lib.js';
import { api, ApiError } from '../api.js';
import {
  Field, Select, ErrorSummary, useForm, useTitle, useLoad, Loading, LoadError, organisations, formObject, fmtDate, announce,
} from '../ui.js';
import { CONTENT_FIELDS, CONTENT_LABELS } from './finsam.js';

export const content = (form) => {
  const d = formObject(form);
  return Object.fromEntries(CONTENT_FIELDS.map(([k]) => [k, d[k] || '']));
};

/** A consent_missing refusal as an error of the consent block (`consent`). */
export function consentError(err) {
  if (!(err instanceof ApiError) || err.code !== 'consent_missing') return err;
  return new ApiError(err.status, { ...err.problem, errors: [{ field: 'consent', message: err.message }] });
}

/** The referral's content fields, filled from `values`. */
export function ContentFields({ values = {}, errors }) {
  return CONTENT_FIELDS.map(([name, label, hint, needed]) => html`<${Field} name=${name} label=${label} hint=${needed ? `${hint} Måste fyllas i för att skicka.` : hint}
    multiline error=${errors[name]} defaultValue=${values[name] || ''} />`);
}

/** Our written consents for Finsamteam in the case, as the form shows them before sending. */
export function ConsentBlock({ consents, user, forbundName, error }) {
  const ours = consents.filter((k) => k.recorded_by_organisation_id === user.organisation_id && k.status === 'active'
    && k.in_force && k.purposes.includes('finsamteam'));
  return html`<div id="f-consent" tabindex="-1" class=${error ? 'field has-error' : 'field'} aria-describedby=${error ? 'f-consent-fel' : undefined}>
    <h2>Samtycke att bryta sekretessen i teamet</h2>
    <p class="hint">Anmälan kräver ett <strong>skriftligt</strong> samtycke för Finsamteam som ni registrerat i ärendet, med dokumentreferens,
      som omfattar ${forbundName || 'förbundet'} och teamets organisationer.</p>
    ${error && html`<p class="error" id="f-consent-fel"><span class="sr-only">Fel: </span>${error}</p>`}
    ${ours.length === 0
      ? html`<p id="samtycke-status">Inget gällande samtycke för Finsamteam är registrerat av er.</p>`
      : html`<ul class="plain" id="samtycke-status">${ours.map((k) => html`<li>
        ${k.forms.includes('skriftligt') ? 'Skriftligt' : 'Muntligt'} samtycke${k.document_reference ? ` (${k.document_reference})` : ', utan dokumentreferens'}, gäller till ${fmtDate(k.valid_until)}
      </li>`)}</ul>`}
  </div>`;
}

async function loadForm(caseId, id) {
  const referral = id ? await api('GET', `/api/finsam/referrals/${id}`) : null;
  const cid = referral ? referral.case_id : caseId;
  const [c, orgs, consents] = await Promise.all([
    api('GET', `/api/cases/${cid}`),
    organisations(),
    api('GET', `/api/cases/${cid}/consents`),
  ]);
  return { referral, c, forbunds: orgs.filter((o) => o.kind === 'samordningsforbund'), consents: consents.items || consents };
}

const LABELS = { ...CONTENT_LABELS, forbund_organisation_id: 'Samordningsförbund', consent: 'Samtycke' };

/** The referral form; `caseId` for a new one, `id` for a draft. */
export function ReferralFormPage({ user, caseId, id }) {
  useTitle('Anmäl till Finsamteam');
  const [{ loading, data, error }] = useLoad(() => loadForm(caseId, id), [caseId, id]);
  const { errors, setErrors, busy, run } = useForm();
  const [draftId, setDraftId] = useState(id || null);
  const [forbund, setForbund] = useState(null);
  const form = useRef(null);
  if (loading) return html`<h1 tabindex="-1">Anmäl till Finsamteam</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Anmäl till Finsamteam</h1><${LoadError} error=${error} />`;
  const { referral, c, forbunds, consents } = data;
  const chosen = forbund || (referral ? referral.forbund_organisation_id : (forbunds[0] || {}).id);
  const submit = (e) => {
    e.preventDefault();
    const send = e.submitter ? e.submitter.value === 'send' : false;
    const body = content(form.current);
    if (!chosen) return setErrors({ forbund_organisation_id: 'Välj samordningsförbund.' });
    run(async () => {
      let current = draftId;
      if (!current) {
        const created = await api('POST', `/api/cases/${c.id}/finsam-referrals`, { forbund_organisation_id: chosen, ...body });
        current = created.id;
        setDraftId(current);
      } else {
        await api('PATCH', `/api/finsam/referrals/${current}`, body);
      }
      if (send) {
        try {
          await api('POST', `/api/finsam/referrals/${current}/send`);
        } catch (err) {
          announce('Utkastet är sparat men inte skickat.');
          throw consentError(err);
        }
      }
      location.hash = `#/finsam/anmalningar/${current}`;
    });
    return undefined;
  };
  const forbundName = (forbunds.find((o) => o.id === chosen) || {}).name;
  return html`<h1 tabindex="-1">Anmäl till Finsamteam</h1>
    <p>Ärende: <a href=${`#/arenden/${c.id}`}>${c.individual_name}</a>. Fyll i anmälan tillsammans med personen. Anmälan hamnar i
      förbundets gemensamma inkorg hos Finsam-koordinatorn. E-posten säger inget om vem anmälan gäller.</p>
    ${draftId && html`<p class="notice" role="status">Utkastet är sparat. Det syns inte för förbundet förrän det skickas.</p>`}
    <${ErrorSummary} errors=${errors} labels=${LABELS} />
    <form ref=${form} onSubmit=${submit} novalidate>
      ${referral
        ? html`<p>Till: <strong>${referral.forbund_organisation_name}</strong></p>`
        : html`<${Select} name="forbund_organisation_id" label="Samordningsförbund" required error=${errors.forbund_organisation_id}
          onChange=${(e) => setForbund(e.target.value)} options=${forbunds.map((o) => [o.id, o.name])} selected=${chosen} />`}
      <${ContentFields} values=${referral || {}} errors=${errors} />
      <${ConsentBlock} consents=${consents} user=${user} forbundName=${forbundName} error=${errors.consent} />
      <div class="actions">
        <button class="primary" type="submit" name="do" value="send" disabled=${busy}>Skicka anmälan</button>
        <button type="submit" name="do" value="draft" disabled=${busy}>Spara utkast</button>
        <a class="button" href=${draftId ? `#/finsam/anmalningar/${draftId}` : `#/arenden/${c.id}`}>Avbryt</a>
      </div>
    </form>`;
}
