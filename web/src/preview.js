// The page is served with the course in it (the build renders the list
// and every lesson's text), so that a learner reads while the program
// downloads and compiles. This script opens the lesson a #lesson= link
// names from its template in the lessons panel, as the lessons panel
// (wasm/lessons) will. The panel replaces all of it with the same markup
// once it runs, and this script stands down.
//
// It runs from the head and opens the lesson as soon as the parser has
// closed that lesson's template, not once it has parsed them all: the
// parser yields to paint a frame partway through a large document (and
// after each script in the body), and a lesson opened after that frame
// waited a frame more — in a new tab 100-150 ms, the first layouts being
// slow ones.

(() => {
  let panel = null, article = null, index = null;
  let shown = "";
  function wanted() {
    const m = /^#lesson=([a-z0-9-]+)(?:\/[0-9]+)?$/.exec(location.hash);
    return m ? m[1] : "";
  }
  function parsing() { return document.readyState === "loading"; }
  // closed: the parser is past t's end tag, so its content is whole.
  function closed(t) {
    return t.nextElementSibling !== null || panel.nextElementSibling !== null || !parsing();
  }
  // show opens the wanted lesson once its template is whole, and says
  // whether there is nothing left to wait for.
  function show() {
    if (!panel) panel = document.getElementById("panel-lesson");
    if (!panel) return !parsing();
    if (panel.dataset.preview !== "true") return true; // no course here, or the panel has taken over
    // Looked for until found: the parser may yield between the panel's
    // start tag and its children (a panel found then, with its article
    // looked up once, left a lesson link showing only the list).
    if (!article) article = panel.querySelector("article.lesson");
    if (!index) index = panel.querySelector("details.lesson-index");
    if (!article || !index) return !parsing();
    const id = wanted();
    if (!id || id === shown) return true;
    const t = panel.querySelector('template[data-lesson="' + id + '"]');
    if (!t) return !parsing(); // not parsed yet, or no such lesson
    if (!closed(t)) return false;
    article.replaceChildren(t.content.cloneNode(true));
    article.hidden = false;
    index.open = false; // as the panel keeps it once a lesson is open
    shown = id;
    performance.mark("kap:lesson-text");
    return true;
  }
  // While the document is parsed, each parser task that added elements is
  // a chance to open the lesson before the next frame. (The templates'
  // content is not in the document, so the records are few.)
  if (wanted() && parsing()) {
    const watch = new MutationObserver(() => {
      if (show()) watch.disconnect();
    });
    watch.observe(document.documentElement, { childList: true, subtree: true });
    document.addEventListener("DOMContentLoaded", () => watch.disconnect(), { once: true });
  }
  document.addEventListener("DOMContentLoaded", show, { once: true });
  // A lesson picked from the list before the program runs opens too.
  addEventListener("hashchange", show);
})();
