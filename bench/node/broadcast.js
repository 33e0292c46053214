'use strict';
// Transport-only baseline for samverkan-load: a WebSocket broadcast server on the npm `ws`
// package with the same shape as Samverkan's stream (hello first, thin JSON events, pings),
// but no tickets, no database and no access checks. samverkan-load times it like our server.
//
//   node broadcast.js PORT [HOST]
//
//   GET  /healthz                      200 "ok"
//   GET  /stream?topics=a,b            WebSocket; first message {"type":"hello","seq":N}
//   POST /publish {topic,type,subject_id?}
//                                      sends {seq,type,at,case_id:topic,subject_id} to every
//                                      client of the topic; 201 {seq,recipients}

const http = require('node:http');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 9100);
const host = process.argv[3] || '127.0.0.1';
const HEARTBEAT_MS = 30_000;
const MAX_BODY = 16 * 1024;

/** topic -> Set of sockets */
const topics = new Map();
let seq = 0;

const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY, perMessageDeflate: false });

function subscribe(ws, names) {
  ws.topics = names;
  for (const name of names) {
    let set = topics.get(name);
    if (!set) {
      set = new Set();
      topics.set(name, set);
    }
    set.add(ws);
  }
}

function unsubscribe(ws) {
  for (const name of ws.topics || []) {
    const set = topics.get(name);
    if (set) {
      set.delete(ws);
      if (set.size === 0) topics.delete(name);
    }
  }
}

function publish(topic, type, subjectId) {
  seq += 1;
  const event = JSON.stringify({
    seq,
    type,
    at: new Date().toISOString(),
    case_id: topic,
    subject_id: subjectId ?? null,
  });
  let recipients = 0;
  const set = topics.get(topic);
  if (set) {
    for (const ws of set) {
      if (ws.readyState === ws.OPEN) {
        ws.send(event);
        recipients += 1;
      }
    }
  }
  return { seq, recipients };
}

function reply(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/healthz') {
    reply(res, 200, 'ok');
    return;
  }
  if (req.method === 'POST' && url.pathname === '/publish') {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        reply(res, 413, 'too large');
        return;
      }
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        reply(res, 400, 'bad json');
        return;
      }
      if (typeof body.topic !== 'string' || typeof body.type !== 'string') {
        reply(res, 422, 'topic and type required');
        return;
      }
      reply(res, 201, publish(body.topic, body.type, body.subject_id));
    });
    return;
  }
  reply(res, 404, 'not found');
});

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== '/stream') {
    socket.destroy();
    return;
  }
  const names = (url.searchParams.get('topics') || '').split(',').filter((t) => t.length > 0);
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.isAlive = true;
    ws.on('pong', () => {
      ws.isAlive = true;
    });
    ws.on('message', () => {
      ws.isAlive = true;
    });
    ws.on('close', () => unsubscribe(ws));
    ws.on('error', () => unsubscribe(ws));
    subscribe(ws, names);
    ws.send(JSON.stringify({ type: 'hello', seq }));
  });
});

// The same heartbeat as Samverkan's stream: ping every interval, drop the silent.
const heartbeat = setInterval(() => {
  for (const ws of wss.clients) {
    if (!ws.isAlive) {
      ws.terminate();
      continue;
    }
    ws.isAlive = false;
    ws.ping();
  }
}, HEARTBEAT_MS);

function stop() {
  clearInterval(heartbeat);
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen({ port, host, backlog: 4096 }, () => {
  console.log(`broadcast listening on ${host}:${port}`);
});
