// Loads the Go WebAssembly client. wasm_exec.js (from the same Go
// toolchain) defines the global Go class; this file only starts it and
// reports a failure to start in the page.

function fail(message) {
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
