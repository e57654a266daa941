// Loads the Go WebAssembly client. wasm_exec.js (from the same Go
// toolchain) defines the global Go class; this file starts the program,
// opens its session's socket early (below), and reports a failure to start
// in the page.

function fail(message) {
  // A session the program will never take is given back.
  const e = globalThis.kapTakeSocket ? globalThis.kapTakeSocket() : null;
  if (e) e.ws.close();
  document.documentElement.dataset.state = "error";
  const box = document.getElementById("error");
  const text = document.getElementById("error-text");
  if (box && text) {
    text.textContent = message;
    box.hidden = false;
  }
  const status = document.getElementById("conn-status");
  if (status) status.textContent = "Not started";
}

// The program is the page's largest download, and compiling it takes as
// long as fetching it; so this script runs from the head, before the body
// is parsed, and starts the streaming compile at once. The program itself
// starts once the document it builds on has been parsed.
const compiled = typeof WebAssembly === "object" && typeof WebAssembly.compileStreaming === "function"
  ? WebAssembly.compileStreaming(fetch(document.documentElement.dataset.wasm))
  : null;
// An early failure is reported by start(); this keeps it from also being
// logged as unhandled before then.
if (compiled) compiled.catch(() => {});

// The session's WebSocket is opened here too, while the program downloads
// and compiles, rather than by the program once it has built the page: the
// handshake and the hello round trip then cost the page nothing. The
// program takes the socket, with what it has received, through
// kapTakeSocket; it opens its own when there is none to take (and for
// every reconnect).
const wireVersion = 1; // wire.Version: TestMainJSSaysHelloInTheWireVersion keeps them equal
let early = null;
try {
  const url = new URL("/ws", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url.href);
  // helloSent: the open event has been handled here (the socket's
  // readyState says open before that event is dispatched).
  early = { ws, helloSent: false, messages: [] };
  ws.onopen = () => {
    performance.mark("kap:ws-open");
    ws.send(JSON.stringify({ type: "hello", v: wireVersion }));
    early.helloSent = true;
  };
  ws.onmessage = (ev) => {
    if (early.messages.length === 0) performance.mark("kap:ws-first-message");
    early.messages.push(ev.data);
  };
} catch (err) {
  // The program's own connect reports what is wrong.
  early = null;
}
globalThis.kapTakeSocket = () => {
  const e = early;
  early = null;
  if (e) e.ws.onopen = e.ws.onmessage = null;
  return e;
};

function parsed() {
  if (document.readyState !== "loading") return Promise.resolve();
  return new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
}

async function start() {
  await parsed();
  if (!compiled || typeof globalThis.Go !== "function") {
    fail("This browser cannot run the playground: it needs WebAssembly.");
    return;
  }
  const go = new globalThis.Go();
  let instance;
  try {
    instance = await WebAssembly.instantiate(await compiled, go.importObject);
    performance.mark("kap:wasm-instantiated");
  } catch (err) {
    console.warn("load wasm:", err);
    fail("The playground could not load (" + (err && err.message ? err.message : err) + "). Reload to try again.");
    return;
  }
  try {
    await go.run(instance);
  } catch (err) {
    console.warn("wasm stopped:", err);
  }
  // The Go program never returns while the page works.
  fail("The playground stopped unexpectedly. Reload the page.");
}

start();
