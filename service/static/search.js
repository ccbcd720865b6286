// Live search for the ragnotes page: results as you type, keyboard moves, a URL that follows.
// Text from the server is only ever put in the page as text nodes, never parsed as HTML.
"use strict";
(() => {
  const form = document.getElementById("search");
  const box = document.getElementById("q");
  const source = document.getElementById("source");
  const list = document.getElementById("results");
  const message = document.getElementById("message");
  const stop = new Set(document.body.dataset.stop.split(" "));
  const WORD = /[\p{L}\p{N}_]+/gu;
  const SUFFIXES = ["ing", "ed", "es", "s", "e"];
  const MIN_STEM = 4;
  const DEBOUNCE_MS = 150;
  let timer = 0;
  let latest = 0;
  let inflight = null;

  // The same light stemming and matching as service/highlight.py, so the server-rendered and
  // the live results mark the same words.
  function stem(word) {
    const w = word.toLowerCase();
    for (const s of SUFFIXES) {
      if (s === "s" && w.endsWith("ss")) continue;
      if (w.endsWith(s) && w.length - s.length >= MIN_STEM) return w.slice(0, -s.length);
    }
    return w;
  }
  const matches = (ws, t) => (t.length >= MIN_STEM ? ws.startsWith(t) : ws === t);
  const SOFT_BREAK = /(?<!\n)\n(?![ \t]*(?:[-*+>][ \t]|\d+[.)][ \t]|\||#|```|~~~|\n|$))[ \t]*/g;
  const reflow = (text, part) =>
    part || text.includes("```") || text.includes("~~~") ? text : text.replace(SOFT_BREAK, " ");

  function queryTerms(question) {
    const out = new Set();
    for (const [w] of question.matchAll(WORD)) {
      if (w.length > 1 && !stop.has(w.toLowerCase())) out.add(stem(w));
    }
    return [...out];
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function marked(parent, text, terms) {
    let pos = 0;
    for (const m of text.matchAll(WORD)) {
      if (terms.some((t) => matches(stem(m[0]), t))) {
        parent.append(text.slice(pos, m.index), el("mark", "", m[0]));
        pos = m.index + m[0].length;
      }
    }
    parent.append(text.slice(pos));
    return parent;
  }

  function passageText(p, terms) {
    const div = el("div", "text");
    const text = reflow(p.text, p.part);
    const best = p.best_sentence && reflow(p.best_sentence, p.part);
    const at = best ? text.indexOf(best) : -1;
    if (at < 0) return marked(div, text, terms);
    marked(div, text.slice(0, at), terms);
    div.append(marked(el("strong", "best"), best, terms));
    return marked(div, text.slice(at + best.length), terms);
  }

  // Mirrors passage_meta() in service/web.py.
  function meta(p) {
    const c = p.citation;
    const lines =
      c.start_line === c.end_line ? `line ${c.start_line}` : `lines ${c.start_line}-${c.end_line}`;
    const bits = [c.source === "notes" ? "note" : c.source, c.path, lines, c.license, p.part];
    const node = el("p", "meta", bits.filter(Boolean).join(" · "));
    if (c.stale) node.append(" · ", el("span", "stale", "changed since indexed"));
    return node;
  }

  function safeUrl(url) {
    return url.startsWith("/notes/") || url.startsWith("https://github.com/") ? url : "#";
  }

  function render(body) {
    const terms = queryTerms(body.question);
    const items = body.passages.map((p) => {
      const li = el("li", "result");
      const link = el("a", "open", p.citation.heading);
      link.href = safeUrl(p.citation.url);
      li.append(link, meta(p), passageText(p, terms));
      return li;
    });
    list.replaceChildren(...items);
    const n = items.length;
    message.textContent = n === 0 ? "No passage matches." : `${n} passage${n === 1 ? "" : "s"}`;
  }

  function query(q, extra) {
    const params = new URLSearchParams();
    if (q) params.set("q", q);
    if (source.value) params.set("source", source.value);
    for (const [key, value] of Object.entries(extra)) params.set(key, value);
    const s = params.toString();
    return s ? `?${s}` : "";
  }

  async function search() {
    clearTimeout(timer);
    const q = box.value.trim();
    history.replaceState(null, "", `/${query(q, {})}`);
    document.title = q ? `${q} · ragnotes` : "ragnotes";
    if (inflight) inflight.abort();
    const mine = ++latest;
    if (!q) {
      list.replaceChildren();
      message.textContent = "";
      return;
    }
    inflight = new AbortController();
    try {
      const url = `/api/search${query(q, { k: form.dataset.k })}`;
      const response = await fetch(url, { signal: inflight.signal });
      const body = await response.json();
      if (mine !== latest) return;
      if (response.ok) {
        render(body);
      } else {
        list.replaceChildren();
        message.textContent = body.detail || `The search failed (HTTP ${response.status}).`;
      }
    } catch (err) {
      if (err.name !== "AbortError" && mine === latest) {
        message.textContent = "The server did not answer; try again.";
      }
    }
  }

  function move(step) {
    const links = [...list.querySelectorAll("a.open")];
    if (links.length === 0) return;
    const at = links.indexOf(document.activeElement);
    if (at < 0) {
      if (step > 0) links[0].focus(); // from the box, down goes to the first result
    } else if (at + step < 0) {
      box.focus();
    } else {
      links[Math.min(at + step, links.length - 1)].focus();
    }
  }

  function clear() {
    box.value = "";
    search();
    box.focus();
  }

  document.getElementById("keys").hidden = false; // the shortcuts exist only with this script
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, DEBOUNCE_MS);
  });
  source.addEventListener("change", search);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const inField = event.target instanceof HTMLInputElement || event.target === source;
    if (event.target === source && event.key !== "Escape") return; // arrows pick a filter there
    if (event.key === "/" && !inField) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "ArrowDown" || (event.key === "j" && !inField)) {
      event.preventDefault();
      move(1);
    } else if (event.key === "ArrowUp" || (event.key === "k" && !inField)) {
      event.preventDefault();
      move(-1);
    } else if (event.key === "Escape") {
      event.preventDefault();
      clear();
    }
    // Enter needs nothing here: in the box it submits, on a result it follows the focused link.
  });
})();
