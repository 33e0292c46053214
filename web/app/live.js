// The live stream: a one-time ticket, then a WebSocket that resumes with `since` after a drop.

import { api } from './api.js';

const SEQ_KEY = 'samverkan.seq';
const subscribers = new Set();
let socket = null;
let stopped = true;
let retry = 0;
let statusFn = () => {};

/** Calls `fn(event)` for every live event; returns an unsubscriber. */
export function subscribe(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

export function startLive(onStatus) {
  statusFn = onStatus || (() => {});
  stopped = false;
  connect();
}

export function stopLive() {
  stopped = true;
  sessionStorage.removeItem(SEQ_KEY);
  if (socket) socket.close();
  socket = null;
}

async function connect() {
  if (stopped) return;
  let ticket;
  try {
    ticket = (await api('POST', '/api/ws-ticket', undefined, { background: true })).ticket;
  } catch (err) {
    if (err.status === 401) return;
    return later();
  }
  if (stopped) return;
  const since = sessionStorage.getItem(SEQ_KEY);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  let url = `${scheme}://${location.host}/api/stream?ticket=${encodeURIComponent(ticket)}`;
  if (since !== null) url += `&since=${since}`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.onmessage = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (event.type === 'hello') {
      retry = 0;
      if (sessionStorage.getItem(SEQ_KEY) === null) sessionStorage.setItem(SEQ_KEY, String(event.seq));
      statusFn('connected');
      return;
    }
    if (typeof event.seq === 'number') sessionStorage.setItem(SEQ_KEY, String(event.seq));
    subscribers.forEach((fn) => fn(event));
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    if (!stopped) {
      statusFn('reconnecting');
      later();
    }
  };
}

function later() {
  retry = Math.min(retry + 1, 6);
  setTimeout(connect, 500 * 2 ** (retry - 1));
}
