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

async function start() {
  if (typeof WebAssembly !== "object" || typeof globalThis.Go !== "function") {
    fail("This browser cannot run the playground: it needs WebAssembly.");
    return;
  }
  const go = new globalThis.Go();
  const url = document.documentElement.dataset.wasm;
  let result;
  try {
    const resp = fetch(url);
    result = await WebAssembly.instantiateStreaming(resp, go.importObject);
    performance.mark("kap:wasm-instantiated");
  } catch (err) {
    console.warn("load wasm:", err);
    fail("The playground could not load (" + (err && err.message ? err.message : err) + "). Reload to try again.");
    return;
  }
  try {
    await go.run(result.instance);
  } catch (err) {
    console.warn("wasm stopped:", err);
  }
  // The Go program never returns while the page works.
  fail("The playground stopped unexpectedly. Reload the page.");
}

start();
