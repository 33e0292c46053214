// What follows a referral's acceptance: the team's joint plan (a plan of kind `finsam` naming
// the referral, drawn up by the referring caseworker, who drives it), shown on the agenda item
// and on the referral's page.

import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { useLoad } from '../ui.js';

/** The referral's plan: a link to it, or for the referrer's organisation the button that starts it. */
export function ItemPlan({ referral, user }) {
  const referralId = referral.referral_id || referral.id;
  const [{ loading, data }] = useLoad((background) => api('GET', `/api/cases/${referral.case_id}/plans`, undefined, { background })
    .catch(() => ({ items: [] })), [referral.case_id, referral.state]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  if (loading) return html`<p>Hämtar …</p>`;
  const plan = (data.items || []).find((p) => p.finsam_referral_id === referralId);
  if (plan) return html`<p><a href=${`#/planer/${plan.id}`} class="finsam-plan-lank">Till teamets gemensamma plan</a></p>`;
  if (referral.referrer_organisation_id !== user.organisation_id) return html`<p class="hint">Den som anmälde upprättar teamets gemensamma plan.</p>`;
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const created = await api('POST', `/api/cases/${referral.case_id}/plans`, { kind: 'finsam', finsam_referral_id: referralId });
      location.hash = `#/planer/${created.id}`;
    } catch (err) {
      setError(err.message || 'Planen kunde inte skapas.');
      setBusy(false);
    }
  };
  return html`<p><button type="button" disabled=${busy} onClick=${start}>Upprätta gemensam plan</button></p>
    ${error && html`<p class="error" role="alert">${error}</p>`}`;
}

const LATER = ['on_agenda', 'plan_adopted', 'followed_up', 'closed'];

/** On the referral's page, once it is on an agenda: the team's plan. */
export function ReferralLater({ referral, user }) {
  if (!LATER.includes(referral.state)) return null;
  return html`<section aria-labelledby="plan-rubrik">
    <h2 id="plan-rubrik">Teamets gemensamma plan</h2>
    <${ItemPlan} referral=${referral} user=${user} />
  </section>`;
}
