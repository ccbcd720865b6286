// The note viewer: highlight the lines named by #L<a>-L<b> (or #L<a>) and bring them into view.
"use strict";
(() => {
  function show() {
    for (const line of document.querySelectorAll(".line.hl")) line.classList.remove("hl");
    const m = /^#L(\d+)(?:-L(\d+))?$/.exec(location.hash);
    if (!m) return;
    const first = Number(m[1]);
    const last = Math.min(Number(m[2] || m[1]), first + 5000);
    let top = null;
    for (let n = first; n <= last; n++) {
      const line = document.getElementById(`L${n}`);
      if (!line) break;
      line.classList.add("hl");
      top = top || line;
    }
    if (top) top.scrollIntoView({ block: "start" });
  }
  // Back to the search that led here, when there was one.
  const back = document.getElementById("back");
  const from = document.referrer && new URL(document.referrer);
  if (back && from && from.origin === location.origin && from.pathname === "/") back.href = from.href;
  addEventListener("hashchange", show);
  show();
})();
