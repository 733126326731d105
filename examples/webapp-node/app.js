#!/usr/bin/env node
// The example IVR web app for callhook, in Node.js with the standard library
// only:
//
//   node examples/webapp-node/app.js -listen 127.0.0.1:8000 [-secret S]
//
// It is examples/webapp-go, path for path: /ivr (call.start) answers,
// welcomes and asks for a menu choice; /menu handles it (1 bridges to
// user/1000, 2 records a message, 3 says the caller's number and asks
// again); /bridged and /recorded handle those results (/recorded fetches
// the recording by its URL when callhook gives one); /sorry is the
// fallback_url; /status logs call.end. The number of menu visits travels in
// the session field.
'use strict';

const crypto = require('crypto');
const http = require('http');
const https = require('https');

const WELCOME = 'ivr/ivr-welcome_to_freeswitch.wav';
const MENU = 'ivr/ivr-please_choose_from_the_following.wav';
const INVALID = 'ivr/ivr-that_was_an_invalid_entry.wav';
const HOLD = 'ivr/ivr-one_moment_please.wav';
const RECORD = 'voicemail/vm-record_message.wav';
const THANKS = 'ivr/ivr-thank_you_for_calling.wav';
const FAILED = 'ivr/ivr-call_cannot_be_completed_as_dialed.wav';
const GOODBYE = 'voicemail/vm-goodbye.wav';
const BRIDGE_TARGET = 'user/1000';

const MAX_BODY = 64 << 10;
const MAX_RECORDING = 64 << 20; // bytes of a recording fetched
const SIGNATURE_TOLERANCE = 300; // seconds: clock skew and retries, not replays

function log(msg) {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  process.stderr.write(`${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${msg}\n`);
}

const play = (file) => ({ play: file });

// menu returns the menu's verbs and counts the visit in the session.
function menu(session) {
  session.menu_visits = (session.menu_visits || 0) + 1;
  return [{ gather: {
    play: MENU, max: 1, tries: 3, timeout: '5s',
    regex: '^[123]$', invalid: INVALID, action: '/menu',
  } }];
}

function sessionOf(req) {
  return req.session && typeof req.session === 'object' ? { ...req.session } : { menu_visits: 0 };
}

const steps = {
  '/ivr': (req) => {
    const s = sessionOf(req);
    return { session: s, verbs: ['answer', play(WELCOME), ...menu(s)] };
  },
  '/menu': (req) => {
    const s = sessionOf(req);
    const res = req.result || {};
    if (res.reason !== 'ok') {
      // Three tries without a valid choice: let the caller go.
      return { session: s, verbs: [play(GOODBYE), 'hangup'] };
    }
    s.last_choice = res.digits;
    switch (res.digits) {
      case '1':
        return { session: s, verbs: [
          play(HOLD),
          { bridge: { to: BRIDGE_TARGET, timeout: '20s', action: '/bridged' } },
        ] };
      case '2':
        return { session: s, verbs: [
          play(RECORD),
          { record: { path: `callhook-${req.call_id}.wav`, max: '30s', silence: '3s', terminators: '#', action: '/recorded' } },
        ] };
      case '3': {
        const say = { say: { text: (req.call || {}).from || '', type: 'telephone_number', method: 'iterated' } };
        return { session: s, verbs: [say, ...menu(s)] };
      }
      default:
        // The gather's regex lets only 1-3 through; anything else asks again.
        return { session: s, verbs: menu(s) };
    }
  },
  '/bridged': (req) => {
    const s = sessionOf(req);
    const bridge = (req.result || {}).bridge || {};
    if (bridge.status === 'SUCCESS') {
      return { session: s, verbs: [play(THANKS), 'hangup'] };
    }
    return { session: s, verbs: [play(FAILED), ...menu(s)] };
  },
  '/recorded': async (req) => {
    const rec = (req.result || {}).recording;
    const verbs = [];
    if (rec) {
      const where = rec.path || rec.url; // no path when the switch uploaded it to callhook
      log(`call ${req.call_id}: message recorded in ${where} (${rec.duration_ms} ms)`);
      if (rec.url) {
        // callhook delivers recordings (its recordings key): fetch it. A real
        // app would store it; this one says in the call what it got.
        try {
          const { size, type } = await fetchRecording(rec.url);
          verbs.push({ log: `message fetched: ${size} bytes of ${type}` });
        } catch (e) {
          log(`call ${req.call_id}: message not fetched: ${e.message}`);
          verbs.push({ log: 'message not fetched' });
        }
      }
    }
    return { session: sessionOf(req), verbs: [...verbs, play(THANKS), 'hangup'] };
  },
  '/sorry': (req) => {
    if (req.error) {
      log(`call ${req.call_id}: fallback after ${req.error.url} failed: ${req.error.code} ${req.error.message}`);
    }
    return { verbs: [play(FAILED), { hangup: 'NORMAL_TEMPORARY_FAILURE' }] };
  },
  '/status': (req) => {
    const h = req.hangup || {};
    const visits = (req.session || {}).menu_visits || 0;
    if (req.outcome === 'transferred') {
      // Not hung up: it went on to another extension; held_ms instead of hangup.
      log(`call ${req.call_id} transferred after ${req.held_ms || 0}ms, ${visits} menu visits`);
      return null;
    }
    log(`call ${req.call_id} ended: ${req.outcome}, cause ${h.cause || ''}, ${h.duration || 0}s, ${visits} menu visits`);
    return null;
  },
};

// fetchRecording GETs a recording at the URL callhook gave; it resolves to
// its size and type.
function fetchRecording(url) {
  const get = url.startsWith('https:') ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 10000 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`GET ${url}: ${res.statusCode}`));
      }
      let size = 0;
      res.on('data', (c) => { size += c.length; if (size > MAX_RECORDING) req.destroy(new Error('recording too large')); });
      res.on('end', () => resolve({ size, type: res.headers['content-type'] || '' }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

// validSignature checks X-Callhook-Signature:
// t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>.
function validSignature(secret, header, body, now) {
  const parts = {};
  for (const p of (header || '').split(',')) {
    const i = p.indexOf('=');
    if (i > 0) parts[p.slice(0, i).trim()] = p.slice(i + 1).trim();
  }
  if (!/^\d+$/.test(parts.t || '')) return false;
  const t = Number(parts.t);
  if (Math.abs(now - t) > SIGNATURE_TOLERANCE) return false;
  const want = crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  const got = Buffer.from(parts.v1 || '', 'hex');
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

// unflattenForm reads a form body (format: form): dotted keys with string
// values, and session as one JSON string.
function unflattenForm(body) {
  const req = {};
  for (const [key, raw] of new URLSearchParams(body.toString())) {
    if (key === 'session') {
      req.session = JSON.parse(raw);
      continue;
    }
    let value = raw;
    if (['seq', 'result.recording.duration_ms', 'hangup.duration', 'held_ms'].includes(key)) value = Number(raw);
    const parts = key.split('.');
    let node = req;
    for (const p of parts.slice(0, -1)) node = node[p] = node[p] || {};
    node[parts[parts.length - 1]] = value;
  }
  return req;
}

function answer(res, status, text, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

function handler(secret) {
  return (req, res) => {
    const path = req.url.split('?')[0];
    const step = Object.prototype.hasOwnProperty.call(steps, path) ? steps[path] : null;
    if (!step) return answer(res, 404, 'not found');
    if (req.method !== 'POST') return answer(res, 405, 'callhook requests are POSTs', { Allow: 'POST' });
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return answer(res, 400, 'body too large');
      const body = Buffer.concat(chunks);
      if (secret && !validSignature(secret, req.headers['x-callhook-signature'], body, Date.now() / 1000)) {
        log(`refused ${path}: missing or invalid X-Callhook-Signature`);
        return answer(res, 401, 'missing or invalid X-Callhook-Signature');
      }
      let r;
      try {
        r = (req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded')
          ? unflattenForm(body) : JSON.parse(body.toString());
      } catch (e) {
        return answer(res, 400, `bad body: ${e.message}`);
      }
      log(`call ${r.call_id} seq ${r.seq}: ${r.event} ${path}`);
      Promise.resolve(step(r)).then((reply) => {
        if (reply === null) {
          res.writeHead(204);
          return res.end();
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(reply));
      }, (e) => answer(res, 500, `step failed: ${e.message}`));
    });
  };
}

function main() {
  let listen = '127.0.0.1:8000';
  let secret = process.env.CALLHOOK_SECRET || '';
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].replace(/^--?/, '').split(/=(.*)/s);
    const value = inline !== undefined ? inline : args[++i];
    if (flag === 'listen') listen = value;
    else if (flag === 'secret') secret = value;
    else {
      process.stderr.write('usage: node app.js [-listen HOST:PORT] [-secret S]\n');
      process.exit(2);
    }
  }
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const srv = http.createServer(handler(secret));
  srv.listen(Number(listen.slice(i + 1)), host, () => {
    // The first line says where the app is, so scripts and tests that ask
    // for port 0 can find it.
    const a = srv.address();
    const shown = a.address.includes(':') ? `[${a.address}]` : a.address;
    process.stdout.write(`webapp-node listening on http://${shown}:${a.port}\n`);
  });
  const stop = () => srv.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
