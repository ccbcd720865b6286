// Live search for the ragnotes page: results as you type, keyboard moves, a URL that follows.
// Results come rendered from GET /results, the template the page itself is made with, so live
// and server-rendered results cannot differ.
"use strict";
(() => {
  const form = document.getElementById("search");
  const box = document.getElementById("q");
  const source = document.getElementById("source");
  const found = document.getElementById("found");
  const DEBOUNCE_MS = 150;
  let timer = 0;
  let latest = 0;
  let inflight = null;

  function query(q) {
    const params = new URLSearchParams();
    if (q) params.set("q", q);
    if (source.value) params.set("source", source.value);
    const s = params.toString();
    return s ? `?${s}` : "";
  }

  function say(text) {
    document.getElementById("message").textContent = text;
  }

  // The fragment is the server's own rendering (Markdown already cleaned by nh3); DOMParser
  // makes inert nodes (no script in it would run, and the CSP forbids inline code anyway).
  function show(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    found.replaceChildren(...doc.body.childNodes);
  }

  async function search() {
    clearTimeout(timer);
    const q = box.value.trim();
    const params = query(q);
    history.replaceState(null, "", `/${params}`);
    document.title = q ? `${q} · ragnotes` : "ragnotes";
    if (inflight) inflight.abort();
    const mine = ++latest;
    if (!q) {
      document.getElementById("results").replaceChildren();
      say("");
      return;
    }
    inflight = new AbortController();
    try {
      const response = await fetch(`/results${params}`, { signal: inflight.signal });
      const html = await response.text();
      if (mine !== latest) return;
      if ((response.headers.get("content-type") || "").startsWith("text/html")) {
        show(html);
      } else {
        document.getElementById("results").replaceChildren();
        say(`The search failed (HTTP ${response.status}).`);
      }
    } catch (err) {
      if (err.name !== "AbortError" && mine === latest) say("The server did not answer; try again.");
    }
  }

  function move(step) {
    const links = [...found.querySelectorAll("#results a.open")];
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
    // "/" goes to the box; typed into an empty one it would only start the question with "/".
    if (event.key === "/" && (!inField || (event.target === box && box.value === ""))) {
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
