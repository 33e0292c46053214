// The API client and the sign-in session: token in sessionStorage (this tab only), problem+json
// errors as ApiError, and the session's idle and maximum limits as the server states them.

const KEY = 'samverkan.session';
let current = load();
const listeners = new Set();

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

function save() {
  if (current) sessionStorage.setItem(KEY, JSON.stringify(current));
  else sessionStorage.removeItem(KEY);
  listeners.forEach((fn) => fn(current));
}

export function session() {
  return current;
}

/** Calls `fn(session)` on every change (sign-in, refresh, sign-out); returns an unsubscriber. */
export function onSession(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `Fel ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  get code() {
    return this.problem.code;
  }

  /** Field errors as `{field: message}`, first message per field. */
  get fields() {
    const out = {};
    for (const e of this.problem.errors || []) {
      if (!(e.field in out)) out[e.field] = e.message;
    }
    return out;
  }
}

const ENDED = new Set(['session_idle', 'session_expired', 'session_ended', 'token_expired', 'invalid_token', 'account_inactive']);

function accept(body, oidc = false) {
  current = {
    oidc,
    token: body.access_token,
    tokenExpires: Date.parse(body.expires_at),
    user: body.user,
    startedAt: Date.parse(body.session.started_at),
    sessionEnds: Date.parse(body.session.expires_at),
    idleMinutes: body.session.idle_minutes,
    lastActive: Date.now(),
    tokenIssued: Date.now(),
  };
  save();
}

/**
 * Ends the session in this tab; `reason` is an API code or 'logout'. `endSession` is the
 * identity provider's end-session URL, offered on the sign-in page.
 */
export function endLocally(reason, endSession = null) {
  if (!current) return;
  const { idleMinutes, startedAt, sessionEnds } = current;
  current = null;
  save();
  sessionStorage.setItem('samverkan.ended', JSON.stringify({
    reason, idleMinutes, hours: Math.round((sessionEnds - startedAt) / 3600000), endSession,
  }));
  listeners.forEach((fn) => fn(current));
}

/** Why the last session ended, once (for the sign-in page's message). */
export function takeEndReason() {
  const raw = sessionStorage.getItem('samverkan.ended');
  sessionStorage.removeItem('samverkan.ended');
  return raw ? JSON.parse(raw) : null;
}

// Idempotency-Key: one key per submission of a write, kept until the server has answered
// it, so a double click or a resubmission after a dropped connection reuses the key and the
// server writes once (it answers the repeat from its store). Sign-in and tickets take none.
const pendingKeys = new Map();

function keyed(method, path) {
  return (method === 'POST' || method === 'PATCH') && !path.startsWith('/api/auth/') && path !== '/api/ws-ticket';
}

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * Calls the API. `background: true` marks a request the app makes on its own (after a live
 * event); it does not count as the user's activity.
 */
export async function api(method, path, body, { background = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (background) headers['X-Samverkan-Background'] = '1';
  const text = body === undefined ? undefined : JSON.stringify(body);
  const submission = keyed(method, path) ? `${method} ${path} ${text || ''}` : null;
  if (submission) {
    if (!pendingKeys.has(submission)) pendingKeys.set(submission, newKey());
    headers['Idempotency-Key'] = `"${pendingKeys.get(submission)}"`;
  }
  let res;
  let data;
  for (let attempt = 0; ; attempt += 1) {
    try {
      res = await fetch(path, { method, headers, body: text });
    } catch {
      // The key is kept: sending the same again may find the write already done.
      throw new ApiError(0, { title: 'Kunde inte nå servern', detail: 'Kontrollera nätverket och försök igen.' });
    }
    data = res.status === 204 ? null : await res.json().catch(() => null);
    // The same submission still running (a double click): wait for its answer.
    if (res.status === 409 && data && data.code === 'idempotency_key_in_flight' && attempt < 20) {
      await sleep(250);
      continue;
    }
    break;
  }
  if (submission && res.status < 500) pendingKeys.delete(submission);
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && current && ENDED.has(err.code)) endLocally(err.code);
    throw err;
  }
  if (current && !background) {
    current.lastActive = Date.now();
    save();
  }
  return data;
}

export async function login(username, password) {
  const body = await api('POST', '/api/auth/login', { username, password });
  accept(body);
  return current;
}

export async function refresh() {
  const body = await api('POST', '/api/auth/refresh');
  accept(body);
}

/** Takes the session of a finished identity-provider sign-in by its one-time code. */
export async function loginWithCode(code) {
  const body = await api('POST', '/api/auth/oidc/session', { code });
  accept(body, true);
  return current;
}

export async function logout() {
  let endSession = null;
  try {
    if (current && current.oidc) {
      const out = await api('POST', '/api/auth/oidc/logout');
      endSession = out && out.end_session_url;
    } else {
      await api('POST', '/api/auth/logout');
    }
  } catch {
    // Signed out here either way.
  }
  endLocally('logout', endSession);
}

/** Swedish text for why a session ended. */
export function endMessage(ended) {
  if (!ended) return null;
  switch (ended.reason) {
    case 'logout':
      return 'Du är utloggad.';
    case 'session_idle':
      return `Du har loggats ut eftersom du inte har varit aktiv på ${ended.idleMinutes || 15} minuter. Logga in igen för att fortsätta.`;
    case 'session_expired':
      return `Du har varit inloggad i ${ended.hours || 12} timmar, som är den längsta tillåtna tiden. Logga in igen för att fortsätta.`;
    case 'account_inactive':
      return 'Ditt konto är inte längre aktivt. Kontakta din administratör.';
    default:
      return 'Din inloggning har upphört. Logga in igen.';
  }
}
