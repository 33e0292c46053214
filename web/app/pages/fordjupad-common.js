// What the fördjupad samverkan pages share: the Swedish words for the rehabansvarig's
// decisions, the case manager's criteria, the target-group codes, the progressionsplan's
// categories with who follows each up, and the phase scales (as `domain::fordjupad` has them).

import { html } from '../lib.js';

export const DECISIONS = {
  fordjupad_samverkan: 'Fördjupad samverkan',
  fortroendelakare: 'Förtroendeläkare',
  afu: 'AFU (aktivitetsförmågeutredning)',
  case_manager: 'Case manager',
  ingen: 'Inget av detta',
};

/** The seed's criteria for a case manager: all must be met. */
export const CRITERIA = {
  clear_goal: 'Det finns ett tydligt mål',
  oral_and_written_consent: 'Individen har samtyckt muntligt och skriftligt',
  no_ongoing_abuse: 'Inget pågående missbruk',
  threat_risk_analysis: 'En hot- och riskanalys är gjord',
  no_interpreter_needed: 'Tolk behövs inte',
};

export const TARGET_CODES = {
  sjukskriven_utan_sgi: 'Sjukskriven utan sjukpenninggrundande inkomst (SGI)',
  socialmedicinska_hinder: 'Socialmedicinska hinder',
};

/** The progressionsplan's action categories (000 Bilaga 1). */
export const CATEGORIES = {
  1: 'Mer kartläggning eller underlag',
  2: 'Enkla åtgärder',
  3: 'Samverkan med vården eller Jobbtorg',
  4: 'Förtroendeläkare',
  5: 'AFU',
};
export const categoryText = (n) => (n ? `${n} – ${CATEGORIES[n]}` : '–');

export const HOLDERS = { rehabansvarig: 'Rehabansvarig', bitradande_enhetschef: 'Biträdande enhetschef' };
/** Who follows up an action of a category: 1–2 the biträdande enhetschef, 3–5 the rehabansvarig. */
export const holderOf = (category) => (!category ? null : Number(category) <= 2 ? 'bitradande_enhetschef' : 'rehabansvarig');
export const holderText = (category) => (category ? `${HOLDERS[holderOf(category)]} följer upp` : '');

/** The steps of a category 4 or 5 action, in order. */
export const STEPS = {
  referral_with_consent: 'Remiss skickad med samtycke',
  order_with_consent: 'Beställning gjord med samtycke',
  times_offered: 'Leverantören har erbjudit tider',
  interpreter_booked: 'Tolk bokad',
  recommendations_received: 'Skriftliga rekommendationer har kommit',
};
export const STEPS_OF = {
  4: ['referral_with_consent', 'recommendations_received'],
  5: ['order_with_consent', 'times_offered', 'interpreter_booked', 'recommendations_received'],
};

export const SCALES = {
  jarva: {
    name: 'Järvas fasskala 0–4',
    labels: ['Regress eller ingen insats', 'Insatser, ingen arbetsinriktad', 'Kombinerade insatser med en arbetsinriktad',
      'Parallella insatser med progression', 'Egen försörjning'],
  },
  rinkeby_kista: {
    name: 'Rinkeby-Kistas fasskala 0–5',
    labels: ['Ingen adekvat planering', '', '', '', '', 'Egen försörjning eller alla vägar uttömda'],
  },
};
const OUTCOMES = [['self_sufficient', 'Egen försörjning'], ['sa_ae_granted', 'SA/AE beviljad'], ['all_paths_exhausted', 'Alla vägar uttömda']];
/** A scale by its code, or as the server sends it (`phase_scale`: code, phases, outcomes). */
export const scaleOf = (scale) => {
  if (scale && typeof scale === 'object') {
    return {
      name: (SCALES[scale.code] || SCALES.jarva).name,
      labels: scale.phases.map((p) => p.label),
      outcomes: scale.outcomes.map((o) => [o.code, o.label]),
    };
  }
  return { outcomes: OUTCOMES, ...(SCALES[scale] || SCALES.jarva) };
};
export const phaseText = (scale, n) => {
  const label = scaleOf(scale).labels[n];
  return label ? `Fas ${n}: ${label}` : `Fas ${n}`;
};

export const DIRECTIONS = {
  first: 'Första bedömningen', forward: 'Framåt', unchanged: 'Oförändrad', backward: 'Bakåt',
};

/** The same, short, for a table cell. */
export const FOLLOW_UP_SHORT = {
  avstamning_reminder: 'Avstämning snart', avstamning_overdue: 'Avstämning ej bokad',
  escalation: 'Inget har hänt', case_manager_ending: 'Case manager slutar',
};

export const FOLLOW_UP_KINDS = {
  avstamning_reminder: 'Avstämning ska bokas snart',
  avstamning_overdue: 'Ingen avstämning bokad efter rekommendationerna',
  escalation: 'Inget har hänt i ärendet på länge',
  case_manager_ending: 'Case manager-insatsen slutar snart',
};

/** The owner's roles that take each step, as the policy's `FordjupadStep::roles`. */
const STEP_ROLES = {
  bring: ['socialsekreterare'],
  decide: ['rehabansvarig', 'bitradande_enhetschef'],
  code: ['rehabansvarig', 'bitradande_enhetschef'],
  assess_phase: ['socialsekreterare', 'rehabansvarig', 'bitradande_enhetschef'],
};
/** Whether the user may take `step` in a case; the server's `may` wins when it says. */
export function mayStep(user, owner, step, may) {
  if (may && typeof may[step] === 'boolean') return may[step];
  return owner && user.roles.some((r) => STEP_ROLES[step].includes(r));
}

/** Days since the last activity, highlighted from 30 days and flagged from 60. */
export function IdleDays({ days }) {
  if (days === null || days === undefined) return '–';
  const text = `${days} ${days === 1 ? 'dag' : 'dagar'}`;
  if (days >= 60) return html`<span class="flag">${text}</span>`;
  if (days >= 30) return html`<span class="flag soon">${text}</span>`;
  return text;
}

export const isoToday = () => new Date().toISOString().slice(0, 10);
export function plusMonths(iso, months) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}
