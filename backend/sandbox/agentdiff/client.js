// The reference: a schedule of requests through the real http.Agent of
// the Node release running this file. argv[2] is the schedule (JSON, see
// agentdiff.go); one JSON line is printed per outcome and per socket close,
// with t in ms since the schedule's start.
'use strict';
const http = require('http');
const fs = require('fs');

const sched = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let t0 = 0;
const now = () => performance.now() - t0;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let last = 0;

// Requests through a throwaway agent before the clock starts, down the
// paths the cases take (a new socket, the queue, a free socket reused):
// Node compiles its http client lazily, which on a loaded machine takes
// longer than the timing tolerance.
const warm = new http.Agent({keepAlive: true, timeout: 5000, maxSockets: 1});
let started = false;
const begin = () => { if (!started) { started = true; warm.destroy(); start(); } };
const warmOne = (then) => http.get({host: '127.0.0.1', port: sched.port, path: '/warm-up', agent: warm}, (res) => {
  res.resume();
  res.on('end', () => setImmediate(then));
}).on('error', begin);
let pair = 2;
const both = () => { if (--pair === 0) warmOne(begin); };
warmOne(both);
warmOne(both);

function start() {
t0 = performance.now();
out({ev: 'start'});
sched.cases.forEach((c, ci) => {
  let agent;
  if (c.global) {
    agent = http.globalAgent;
  } else {
    const o = {};
    for (const k of ['keepAlive', 'keepAliveMsecs', 'maxSockets', 'maxFreeSockets', 'maxTotalSockets',
      'timeout', 'scheduling', 'agentKeepAliveTimeoutBuffer']) {
      if (c.agent[k] !== undefined && c.agent[k] !== null) o[k] = c.agent[k];
    }
    agent = new http.Agent(o);
  }
  let nextSock = 0;
  let ended = false;
  const ids = new WeakMap();
  // A socket gets its id when it connects: a refused one has none.
  const idOf = (s) => {
    if (!ids.has(s)) {
      const id = nextSock++;
      ids.set(s, id);
      s.on('close', () => { if (!ended) out({c: ci, ev: 'close', sock: id, t: now()}); });
    }
    return ids.get(s);
  };
  const connected = (s) => ids.has(s) || (!s.connecting && s.remotePort !== undefined);
  // A request with `after` is sent `at` ms after that request's outcome;
  // one without, `at` ms after the start.
  const follow = (ri) => c.requests.forEach((r, rk) => { if (r.after === ri) setTimeout(() => send(rk), r.at); });
  const send = (ri) => {
    if (ended) return;
    const r = c.requests[ri];
    const sent = now();
    const req = http.request({host: '127.0.0.1', port: c.port || sched.port, method: r.method, path: r.path, agent});
    let sock = null;
    let done = false;
    const outcome = (o) => {
      if (done) return;
      done = true;
      out({c: ci, req: ri, sock, reused: req.reusedSocket, sent, t: now(), ...o});
      follow(ri);
    };
    req.on('socket', (s) => {
      const mark = () => { sock = idOf(s); };
      if (connected(s)) mark(); else s.once('connect', mark);
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => outcome({ev: 'res', status: res.statusCode, body}));
      res.on('error', (e) => outcome({ev: 'err', status: res.statusCode, msg: e.message, code: e.code || ''}));
    });
    req.on('error', (e) => outcome({ev: 'err', status: 0, msg: e.message, code: e.code || ''}));
    req.end(r.body || undefined);
  };
  c.requests.forEach((r, ri) => { if (r.after === undefined || r.after === null) setTimeout(() => send(ri), r.at); });
  setTimeout(() => { ended = true; agent.destroy(); }, c.endMs);
  last = Math.max(last, c.endMs);
});
setTimeout(() => process.exit(0), last + 50);
}
