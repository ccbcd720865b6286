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
  const STREAM_AFTER_MS = 400;
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

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The fragment is the server's own rendering (Markdown already cleaned by nh3); DOMParser
  // makes inert nodes (no script in it would run, and the CSP forbids inline code anyway).
  function show(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    found.replaceChildren(...doc.body.childNodes);
  }

  // "line 8" or "lines 8-12", as the server names a citation's lines (answers/responses.py).
  const lineSpan = (start, end) => (start === end ? `line ${start}` : `lines ${start}-${end}`);

  // A generated answer, as the server's template draws one (service/templates/results.html):
  // model text only ever goes in as text nodes; each [n] links to passage n on the page.
  function drawAnswer(section, body) {
    const answer = body.answer;
    const titles = new Map(
      body.passages.map((p) => {
        const c = p.citation;
        return [p.rank, `${c.heading} (${c.path}, ${lineSpan(c.start_line, c.end_line)})`];
      }),
    );
    const parts = [];
    const refs = (s, into) => {
      for (const n of s.citations) {
        const ref = el("a", "ref", `[${n}]`);
        ref.href = `#p${n}`;
        ref.title = titles.get(n) || "";
        into.append(ref);
      }
    };
    if (!answer.sentences.length) parts.push(el("p", "plain", answer.text));
    for (const s of answer.sentences) {
      if (s.kind === "list" || s.kind === "table") {
        // A list or a table, as the template draws one: cells and items as text nodes only.
        const unit = el("div", `unit ${s.kind}`);
        if (s.kind === "list") {
          const list = el(s.numbers.length ? "ol" : "ul");
          s.items.forEach((item, i) => {
            const li = el("li", "", item);
            if (s.numbers[i]) li.value = s.numbers[i];
            list.append(li);
          });
          unit.append(list);
        } else {
          const table = el("table");
          const rows = s.header.length ? [s.header, ...s.rows] : s.rows;
          rows.forEach((row, i) => {
            const tr = el("tr");
            for (const cell of row) tr.append(el(i === 0 && s.header.length ? "th" : "td", "", cell));
            table.append(tr);
          });
          unit.append(table);
        }
        const p = el("p", "refs");
        refs(s, p);
        unit.append(p);
        parts.push(unit);
        continue;
      }
      let text = parts[parts.length - 1];
      if (!text || !text.classList.contains("sentences")) {
        text = el("p", "sentences");
        parts.push(text);
      }
      const sentence = el("span", s.supported ? "sentence" : "sentence unsupported");
      sentence.append(s.text.replace(/\s+/g, " "));
      refs(s, sentence);
      if (!s.supported) {
        const flag = el("span", "flag", "unsupported");
        flag.title = section.dataset.unsupported;
        sentence.append(" ", flag);
      }
      text.append(sentence, " ");
    }
    if (answer.notice) parts.push(el("p", "notice", answer.notice));
    section.classList.toggle("not-found", !answer.answerable);
    section.querySelector(".body").replaceChildren(...parts);
    section.querySelector(".by").textContent = answer.generator === "llm"
      ? `Written by ${answer.model || "the LLM"}; every sentence checked against what it cites`
      : "Quoted from the passages below";
  }

  function frames(buffer) {
    // Server-sent events: frames end with a blank line; each line is "field: value".
    const parts = buffer.split(/\r?\n\r?\n/);
    const rest = parts.pop();
    const events = parts.map((frame) => {
      const event = { name: "message", data: [] };
      for (const line of frame.split(/\r?\n/)) {
        const [field, ...value] = line.split(":");
        const v = value.join(":").replace(/^ /, "");
        if (field === "event") event.name = v;
        else if (field === "data") event.data.push(v);
      }
      return { name: event.name, data: event.data.join("\n") };
    });
    return [events, rest];
  }

  // Stream the answer from GET /api/answer (fetch, since EventSource cannot set Accept):
  // the text as the model writes it, then the checked sentences with their citations.
  async function stream(section, signal) {
    const draft = el("p", "draft");
    const body = section.querySelector(".body");
    const response = await fetch(section.dataset.stream, {
      headers: { Accept: "text/event-stream" },
      signal,
    });
    if (!response.ok) {
      const detail = await response.json().then((b) => b.detail, () => null);
      body.replaceChildren(el("p", "failed", detail || `No answer (HTTP ${response.status}).`));
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const [events, rest] = frames(buffer + value);
      buffer = rest;
      for (const { name, data } of events) {
        if (name === "delta") {
          if (!draft.isConnected) body.replaceChildren(draft);
          draft.append(JSON.parse(data).text);
        } else if (name === "answer") {
          drawAnswer(section, JSON.parse(data));
        } else if (name === "error") {
          body.append(el("p", "failed", JSON.parse(data).detail));
        }
      }
    }
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
      document.getElementById("answer")?.remove();
      document.getElementById("results").replaceChildren();
      say("");
      return;
    }
    inflight = new AbortController();
    const { signal } = inflight;
    try {
      const response = await fetch(`/results${params}`, { signal });
      const html = await response.text();
      if (mine !== latest) return;
      if ((response.headers.get("content-type") || "").startsWith("text/html")) {
        show(html);
        const section = document.querySelector("#answer[data-stream]");
        if (!section) return;
        // A generated answer costs the LLM server real work: only once typing has settled.
        await new Promise((resolve) => setTimeout(resolve, STREAM_AFTER_MS));
        if (mine === latest) await stream(section, signal);
      } else {
        document.getElementById("answer")?.remove();
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
  const waiting = document.querySelector("#answer[data-stream]"); // a page rendered with ?q=
  if (waiting) {
    inflight = new AbortController();
    stream(waiting, inflight.signal).catch((err) => {
      if (err.name !== "AbortError") say("The server did not answer; try again.");
    });
  }
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
