// The page is served with the course in it (the build renders the list
// and every lesson's text), so that a learner reads while the program
// downloads and compiles. This script sits right after the lessons panel
// in the body: it runs as soon as the parser has that markup, and opens
// the lesson a #lesson= link names from its template, as the lessons
// panel (wasm/lessons) will. The panel replaces all of it with the same
// markup once it runs, and this script stands down.

(() => {
  const panel = document.getElementById("panel-lesson");
  if (!panel || panel.dataset.preview !== "true") return;
  const article = panel.querySelector("article.lesson");
  const index = panel.querySelector("details.lesson-index");
  if (!article || !index) return;

  function show() {
    if (panel.dataset.preview !== "true") {
      removeEventListener("hashchange", show); // the panel has taken over
      return;
    }
    const m = /^#lesson=([a-z0-9-]+)(?:\/[0-9]+)?$/.exec(location.hash);
    const t = m && panel.querySelector('template[data-lesson="' + m[1] + '"]');
    if (!t) return;
    article.replaceChildren(t.content.cloneNode(true));
    article.hidden = false;
    index.open = false; // as the panel keeps it once a lesson is open
  }
  show();
  // A lesson picked from the list before the program runs opens too.
  addEventListener("hashchange", show);
  performance.mark("kap:lesson-text");
})();
