// The note viewer: light the blocks that lines #L<a>-L<b> (or #L<a>) fall in, and bring them into
// view. In a code block only the cited lines are lit, so a piece of a long block stands out.
"use strict";
(() => {
  function overlaps(first, last, [start, end]) {
    return start <= last && end >= first;
  }

  function show() {
    for (const lit of document.querySelectorAll(".hl")) lit.classList.remove("hl");
    const m = /^#L(\d+)(?:-L(\d+))?$/.exec(location.hash);
    if (!m) return;
    const first = Number(m[1]);
    const last = Number(m[2] || m[1]);
    let top = null;
    for (const block of document.querySelectorAll(".blk[data-lines]")) {
      const span = block.dataset.lines.split(" ").map(Number);
      if (!overlaps(first, last, span)) continue;
      const lines = [...block.querySelectorAll(".cl[data-line]")].filter((line) =>
        overlaps(first, last, [Number(line.dataset.line), Number(line.dataset.line)]),
      );
      for (const lit of lines.length ? lines : [block]) lit.classList.add("hl");
      top = top || lines[0] || block;
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
