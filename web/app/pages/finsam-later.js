// What follows a referral's acceptance, on the referral's page: the team meeting it is on,
// the team's joint plan, the follow-up and the outcome.

import { html } from '../lib.js';

export function ReferralLater() {
  return html``;
}

/** The team's plan for an agenda item decided `start_plan`. */
export function ItemPlan() {
  return html``;
}
