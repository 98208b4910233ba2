/* evalkit viewer: renders the JSON in #evalkit-data. Plain JavaScript, no build step.
 *
 * Safety: every string from the data reaches the page as a DOM text node or an attribute
 * value set through the DOM, never as markup (no innerHTML anywhere in this file), images
 * only from data: URLs, links only to relative paths, file: URLs or this page's own #hash.
 * Speed: the case list is virtual (only the rows in view exist), so 10,000 cases filter,
 * search and sort without rebuilding the page.
 */
(function () {
  "use strict";

  var boot = document.getElementById("boot");
  function fatal(message) {
    if (boot) {
      boot.textContent = "The viewer hit an error: " + message + ". The data is in the page's source (script#evalkit-data).";
      boot.className = "fatal";
    }
  }
  window.addEventListener("error", function (e) { fatal(e.message || String(e.error)); });

  // -- small DOM helpers -------------------------------------------------------------

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var key in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, key)) continue;
        var value = attrs[key];
        if (value === null || value === undefined || value === false) continue;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
    return node;
  }
  function add(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(node, c); }); return; }
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function isObj(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  // -- formatting ---------------------------------------------------------------------

  function ms(v) {
    if (v === null || v === undefined) return "–";
    return v < 1000 ? Math.round(v) + " ms" : (v / 1000).toFixed(2) + " s";
  }
  function money(v) {
    if (v === null || v === undefined) return "n/a";
    return "$" + (Math.abs(v) < 0.01 ? v.toFixed(6) : v.toFixed(4));
  }
  function pct(x) { return x === null || x === undefined ? "–" : Math.round(x * 1000) / 10 + "%"; }
  function int(v) { return v === null || v === undefined ? "–" : Number(v).toLocaleString("en-US"); }
  function signed(v, digits) {
    if (v === null || v === undefined) return "n/a";
    var s = digits === undefined ? String(Math.round(v)) : v.toFixed(digits);
    return v > 0 ? "+" + s : s;
  }
  function pretty(v) {
    if (typeof v === "string") return v;
    try { return JSON.stringify(v, null, 2); } catch (e) { return String(v); }
  }
  function parseJson(text) {
    if (typeof text !== "string") return undefined;
    var t = text.trim();
    if (!t || (t[0] !== "{" && t[0] !== "[")) return undefined;
    try { return JSON.parse(t); } catch (e) { return undefined; }
  }
  function safeHref(href) {
    if (typeof href !== "string") return null;
    if (href[0] === "#" || href.slice(0, 2) === "./" || href.slice(0, 3) === "../" || href.slice(0, 8) === "file:///") return href;
    return null;
  }

  // -- data ---------------------------------------------------------------------------

  var DATA;
  try {
    DATA = JSON.parse(document.getElementById("evalkit-data").textContent);
  } catch (e) {
    fatal("its data could not be read (" + e.message + ")");
    return;
  }
  var RUNS = DATA.runs || [];
  var CMPS = DATA.comparisons || [];

  var STATUS_ORDER = {
    "regressed": 0, "error": 1, "failed": 2, "inconclusive": 3, "not run": 4, "not comparable": 5,
    "flip within noise": 6, "only in A": 7, "only in B": 8, "fixed": 9, "passed": 10
  };
  var DIFF_STATUS = {
    "regression": "regressed", "fix": "fixed", "pass": "passed", "fail": "failed",
    "not-comparable": "not comparable", "only-a": "only in A", "only-b": "only in B",
    "flip": "flip within noise"
  };

  function itemId(c) { return c.suite + "::" + c.case + (c.variant ? "[" + c.variant + "]" : ""); }
  function caseCost(c) {
    var total = 0;
    var samples = c.samples || [];
    for (var i = 0; i < samples.length; i++) {
      if (samples[i].cost_usd === null || samples[i].cost_usd === undefined) return null;
      total += samples[i].cost_usd;
    }
    return total;
  }
  function caseLatency(c) {
    var m = 0;
    (c.samples || []).forEach(function (s) { if (s.latency_ms > m) m = s.latency_ms; });
    return m;
  }
  function ran(c) { return !!(c && c.samples && c.samples.length); }
  function caseTokens(c) {
    var t = 0;
    (c.samples || []).forEach(function (s) { t += (s.input_tokens || 0) + (s.output_tokens || 0); });
    return t;
  }
  function kinds(c, into, failedInto) {
    (c.samples || []).forEach(function (s) {
      (s.checks || []).forEach(function (k) {
        var kind = k.kind || k.type;
        into[kind] = true;
        if (!k.passed && failedInto) failedInto[kind] = true;
      });
    });
  }
  function messageText(messages, out) {
    if (!Array.isArray(messages)) return;
    messages.forEach(function (m) {
      if (!isObj(m)) return;
      if (typeof m.content === "string") out.push(m.content);
      else if (Array.isArray(m.content)) m.content.forEach(function (p) { if (isObj(p) && typeof p.text === "string") out.push(p.text); });
    });
  }
  function searchText(c) {
    if (!c) return "";
    var parts = [itemId(c)];
    if (c.vars !== undefined) parts.push(pretty(c.vars));
    if (c.status && c.status !== "done") parts.push(c.status);
    (c.samples || []).forEach(function (s) {
      if (s.output) parts.push(s.output.length > 20000 ? s.output.slice(0, 20000) : s.output);
      if (s.error) parts.push(s.error);
      messageText(s.messages, parts);
    });
    return parts.join("\n").toLowerCase();
  }

  /* A row of the list: what the columns, filters and sort read. */
  function runRows(runIndex) {
    var run = RUNS[runIndex];
    return run.cases.map(function (c, i) {
      var ks = {}, failed = {};
      kinds(c, ks, failed);
      return {
        key: itemId(c), status: c.verdict, suite: c.suite, name: c.case, variant: c.variant || "",
        dur: ran(c) ? caseLatency(c) : null, tokens: ran(c) ? caseTokens(c) : null, cost: ran(c) ? caseCost(c) : null,
        kinds: ks, failed: failed, a: null, b: i, text: null
      };
    });
  }
  function cmpRows(cmpIndex) {
    var cmp = CMPS[cmpIndex];
    var A = RUNS[cmp.a].cases, B = RUNS[cmp.b].cases;
    return cmp.cases.map(function (d, i) {
      var ca = d.a === null || d.a === undefined ? null : A[d.a];
      var cb = d.b === null || d.b === undefined ? null : B[d.b];
      var ks = {}, failed = {};
      if (ca) kinds(ca, ks, null);
      if (cb) kinds(cb, ks, failed);
      var va = ca ? ca.variant || "" : "", vb = cb ? cb.variant || "" : "";
      var side = cb || ca;
      return {
        key: d.suite + "::" + d.case, status: DIFF_STATUS[d.status] || d.status,
        suite: d.suite, name: d.case, variant: va === vb ? vb : (va || "–") + " → " + (vb || "–"),
        dur: ran(side) ? caseLatency(side) : null, tokens: ran(side) ? caseTokens(side) : null, cost: ran(side) ? caseCost(side) : null,
        dDur: ca && cb ? d.d_latency_ms : null,
        dTokens: ca && cb ? d.d_input_tokens + d.d_output_tokens : null,
        dCost: ca && cb ? d.d_cost_usd : null,
        kinds: ks, failed: failed, a: ca, b: cb, diff: d, index: i, text: null
      };
    });
  }
  function rowText(row) {
    if (row.text === null) {
      row.text = row.diff ? searchText(row.a) + "\n" + searchText(row.b) : searchText(RUNS[S.view.index].cases[row.b]);
    }
    return row.text;
  }

  // -- state --------------------------------------------------------------------------

  var ROW_H = 30;
  var S = {
    view: DATA.start || { kind: "run", index: 0 },
    tab: "cases",
    rows: [], shown: [],
    statuses: {}, suite: "", check: "", q: "",
    sort: { key: "status", dir: 1 },
    selected: null, sample: null,
    lastFilterMs: null
  };
  if (S.view.kind === "cmp" && !CMPS[S.view.index]) S.view = { kind: "run", index: 0 };

  function viewCases(row) {
    // [case on side A or null, case on side B] of a row, in either kind of view
    if (row.diff) return [row.a, row.b];
    return [null, RUNS[S.view.index].cases[row.b]];
  }

  // -- layout -------------------------------------------------------------------------

  var app = document.getElementById("app");
  var ui = {};

  function build() {
    clear(app);
    var viewSelect = el("select", { id: "view-select", "aria-label": "what to show", onchange: function () {
      var parts = this.value.split(":");
      setView({ kind: parts[0], index: Number(parts[1]) });
    } });
    RUNS.forEach(function (r, i) {
      viewSelect.appendChild(el("option", { value: "run:" + i }, "run " + r.label + " (" + r.cases.length + " cases)"));
    });
    CMPS.forEach(function (c, i) {
      viewSelect.appendChild(el("option", { value: "cmp:" + i }, "compare " + c.label_a + " → " + c.label_b));
    });
    if (boot) { boot.textContent = ""; boot.className = ""; boot.appendChild(viewSelect); }
    var gen = el("span", { class: "muted small" }, "generated " + (DATA.generated_at || ""));
    boot.parentNode.appendChild(gen);
    document.title = DATA.title || "evalkit viewer";

    ui.viewSelect = viewSelect;
    ui.notes = el("div", { id: "notes" });
    ui.summary = el("section", { id: "summary", "aria-label": "summary" });
    ui.tabs = el("nav", { class: "tabs", role: "tablist" },
      ui.tabCases = el("button", { role: "tab", id: "tab-cases", onclick: function () { setTab("cases"); } }, "Cases"),
      ui.tabHistory = el("button", { role: "tab", id: "tab-history", onclick: function () { setTab("history"); } }, "History"));
    if (!DATA.history || !DATA.history.runs || !DATA.history.runs.length) {
      ui.tabHistory.disabled = true;
      ui.tabHistory.title = "no results folder was given, so there is no history";
    }
    // cases tab
    ui.chips = el("div", { class: "chips", id: "status-filter", role: "group", "aria-label": "status" });
    ui.suiteSelect = el("select", { id: "suite-filter", "aria-label": "suite", onchange: function () { S.suite = this.value; applyFilters(); } });
    ui.checkSelect = el("select", { id: "check-filter", "aria-label": "check type", onchange: function () { S.check = this.value; applyFilters(); } });
    var timer = null;
    ui.search = el("input", { id: "search", type: "search", placeholder: "search ids, vars, outputs…", "aria-label": "search", oninput: function () {
      var value = this.value;
      clearTimeout(timer);
      timer = setTimeout(function () { S.q = value; applyFilters(); }, 120);
    } });
    ui.count = el("span", { id: "count", class: "muted" });
    ui.download = el("button", { id: "download-labels", class: "labels-button", disabled: true,
      title: "save every pass/fail mark as a labels file (JSONL) for a judge's `labels:`", onclick: downloadLabels }, "download labels (0)");
    var filters = el("div", { class: "filters" }, ui.chips, ui.suiteSelect, ui.checkSelect, ui.search, ui.count, ui.download);
    ui.head = el("div", { class: "list-head", role: "row" });
    ui.body = el("div", { class: "list-body", role: "rowgroup" });
    ui.list = el("div", { class: "list", id: "case-list", role: "grid", tabindex: "0", "aria-label": "cases",
      onscroll: function () { scheduleRows(); }, onkeydown: onListKey }, ui.head, ui.body);
    ui.detail = el("section", { id: "detail", class: "detail", "aria-label": "case" });
    ui.casesTab = el("div", { id: "cases-tab", class: "tab-body" }, filters, el("div", { class: "split" }, ui.list, ui.detail));
    ui.historyTab = el("div", { id: "history-tab", class: "tab-body", hidden: true });
    add(app, [ui.notes, ui.summary, ui.tabs, ui.casesTab, ui.historyTab]);
    window.addEventListener("resize", function () { scheduleRows(); });
  }

  // -- views --------------------------------------------------------------------------

  function setView(view, keepCase) {
    if (view.kind === "cmp" && !CMPS[view.index]) return;
    if (view.kind === "run" && !RUNS[view.index]) return;
    S.view = view;
    ui.viewSelect.value = view.kind + ":" + view.index;
    S.rows = view.kind === "cmp" ? cmpRows(view.index) : runRows(view.index);
    S.statuses = {};
    S.suite = "";
    S.check = "";
    if (!keepCase) { S.selected = null; S.sample = null; }
    renderNotes();
    renderSummary();
    renderFilterControls();
    applyFilters();
    if (S.selected === null && S.shown.length) select(S.shown[0].key, true);
    else renderDetail();
    if (S.tab === "history") renderHistory();
    writeHash();
  }

  function renderNotes() {
    clear(ui.notes);
    var runs = S.view.kind === "cmp" ? [RUNS[CMPS[S.view.index].a], RUNS[CMPS[S.view.index].b]] : [RUNS[S.view.index]];
    runs.forEach(function (run) {
      (run.notes || []).forEach(function (note) {
        ui.notes.appendChild(el("div", { class: "note", role: "status" }, "run " + run.label + ": " + note));
      });
      if (run.skipped && run.skipped.length) {
        var list = el("ul", null, run.skipped.map(function (s) {
          return el("li", null, s.file + ":" + s.line + ": " + s.reason);
        }));
        ui.notes.appendChild(el("details", { class: "note skipped" },
          el("summary", null, "run " + run.label + ": " + run.skipped.length + " line(s) skipped; the rest is shown"), list));
      }
    });
    if (DATA.history && DATA.history.notes) {
      DATA.history.notes.forEach(function (n) { ui.notes.appendChild(el("div", { class: "note muted" }, "history: " + n)); });
    }
  }

  function renderSummary() {
    clear(ui.summary);
    if (S.view.kind === "cmp") {
      var cmp = CMPS[S.view.index];
      var bad = cmp.cases.some(function (c) { return c.status === "regression" || c.status === "not-comparable"; });
      ui.summary.appendChild(el("p", { id: "headline", class: bad ? "bad" : "good" },
        cmp.label_a + " → " + cmp.label_b + ": " + cmp.headline));
      var t = el("table", { class: "stats" },
        el("thead", null, el("tr", null, ["suite", cmp.label_a + " pass", cmp.label_b + " pass", "regressions", "fixes", "McNemar p",
          "$/1k " + cmp.label_a + " → " + cmp.label_b, "p50 / p95 " + cmp.label_a, "p50 / p95 " + cmp.label_b].map(function (h) { return el("th", null, h); }))));
      var tb = el("tbody");
      (cmp.suites || []).forEach(function (s) {
        tb.appendChild(el("tr", null,
          el("td", null, s.suite),
          el("td", null, side(s.a)), el("td", null, side(s.b)),
          el("td", { class: s.regressions.length ? "bad" : "" }, String(s.regressions.length)),
          el("td", null, String(s.fixes.length)),
          el("td", { title: s.mcnemar_p < 0.05 ? "significant (p < 0.05)" : "not significant" }, Number(s.mcnemar_p).toPrecision(3)),
          el("td", null, money(s.a.cost_per_1000) + " → " + money(s.b.cost_per_1000)),
          el("td", null, ms(s.a.p50_ms) + " / " + ms(s.a.p95_ms)),
          el("td", null, ms(s.b.p50_ms) + " / " + ms(s.b.p95_ms))));
      });
      t.appendChild(tb);
      ui.summary.appendChild(t);
      return;
    }
    var run = RUNS[S.view.index];
    var failing = run.cases.filter(function (c) { return c.verdict !== "passed"; }).length;
    ui.summary.appendChild(el("p", { id: "headline", class: failing ? "bad" : "good" },
      "run " + run.label + ": " + (run.cases.length - failing) + "/" + run.cases.length + " cases passed" +
      (failing ? "; " + failing + " did not" : "") + (run.source ? " (" + run.source + ")" : "")));
    var table = el("table", { class: "stats" },
      el("thead", null, el("tr", null, ["suite", "passed", "pass rate (Wilson 95%)", "failed", "errors", "not run", "tokens", "cost", "$/1k cases", "p50 / p95"].map(function (h) { return el("th", null, h); }))));
    var body = el("tbody");
    (run.suites || []).forEach(function (s) {
      body.appendChild(el("tr", null,
        el("td", null, s.suite), el("td", null, s.passed + "/" + s.total),
        el("td", null, pct(s.pass_rate) + " [" + pct(s.low) + "–" + pct(s.high) + "]"),
        el("td", { class: s.failed ? "bad" : "" }, String(s.failed)),
        el("td", { class: s.errors ? "bad" : "" }, String(s.errors)),
        el("td", null, String(s.not_run)), el("td", null, int(s.tokens)),
        el("td", null, money(s.cost_usd)), el("td", null, money(s.cost_per_1000)),
        el("td", null, ms(s.p50_ms) + " / " + ms(s.p95_ms))));
    });
    table.appendChild(body);
    ui.summary.appendChild(table);
  }
  function side(x) { return x.passed + "/" + x.total + " " + pct(x.total ? x.passed / x.total : 0) + " [" + pct(x.low) + "–" + pct(x.high) + "]"; }

  // -- filters ------------------------------------------------------------------------

  function renderFilterControls() {
    var counts = {}, suites = {}, allKinds = {};
    S.rows.forEach(function (r) {
      counts[r.status] = (counts[r.status] || 0) + 1;
      suites[r.suite] = true;
      for (var k in r.kinds) allKinds[k] = true;
    });
    clear(ui.chips);
    ui.chips.appendChild(el("button", { class: "chip all", "data-status": "", "aria-pressed": "true", onclick: function () { S.statuses = {}; applyFilters(); } }, "all " + S.rows.length));
    Object.keys(counts).sort(function (a, b) { return STATUS_ORDER[a] - STATUS_ORDER[b]; }).forEach(function (status) {
      ui.chips.appendChild(el("button", {
        class: "chip st-" + status.replace(/ /g, "-"), "data-status": status, "aria-pressed": "false",
        onclick: function () {
          if (S.statuses[status]) delete S.statuses[status]; else S.statuses[status] = true;
          applyFilters();
        }
      }, status + " " + counts[status]));
    });
    clear(ui.suiteSelect);
    ui.suiteSelect.appendChild(el("option", { value: "" }, "every suite"));
    Object.keys(suites).sort().forEach(function (s) { ui.suiteSelect.appendChild(el("option", { value: s }, s)); });
    clear(ui.checkSelect);
    ui.checkSelect.appendChild(el("option", { value: "" }, "any check"));
    Object.keys(allKinds).sort().forEach(function (k) {
      ui.checkSelect.appendChild(el("option", { value: "fail:" + k }, k + " failed"));
      ui.checkSelect.appendChild(el("option", { value: "has:" + k }, "has " + k));
    });
    ui.suiteSelect.value = S.suite;
    ui.checkSelect.value = S.check;
  }

  function applyFilters() {
    var t0 = performance.now();
    var statuses = Object.keys(S.statuses);
    var anyStatus = statuses.length === 0;
    var terms = S.q.toLowerCase().split(/\s+/).filter(Boolean);
    var check = S.check, checkKind = check.slice(check.indexOf(":") + 1), wantFail = check.slice(0, 5) === "fail:";
    var shown = [];
    for (var i = 0; i < S.rows.length; i++) {
      var r = S.rows[i];
      if (!anyStatus && !S.statuses[r.status]) continue;
      if (S.suite && r.suite !== S.suite) continue;
      if (check && !(wantFail ? r.failed[checkKind] : r.kinds[checkKind])) continue;
      if (terms.length) {
        var text = rowText(r), ok = true;
        for (var j = 0; j < terms.length; j++) if (text.indexOf(terms[j]) < 0) { ok = false; break; }
        if (!ok) continue;
      }
      shown.push(r);
    }
    sortRows(shown);
    S.shown = shown;
    Array.prototype.forEach.call(ui.chips.children, function (chip) {
      var st = chip.getAttribute("data-status");
      chip.setAttribute("aria-pressed", st === "" ? String(anyStatus) : String(!!S.statuses[st]));
    });
    ui.count.textContent = shown.length === S.rows.length ? shown.length + " cases" : shown.length + " of " + S.rows.length + " cases";
    ui.body.style.height = shown.length ? shown.length * ROW_H + "px" : "auto";
    renderHead();
    renderRows();
    S.lastFilterMs = performance.now() - t0;
    window.__evalkit.lastFilterMs = S.lastFilterMs;
  }

  var COLUMNS = [
    { key: "status", label: "status", w: "7.5em" },
    { key: "name", label: "case", w: "minmax(7em, 1.6fr)" },
    { key: "suite", label: "suite", w: "minmax(3.5em, 0.6fr)" },
    { key: "variant", label: "variant", w: "minmax(3.5em, 0.5fr)" },
    { key: "dur", label: "duration", w: "5.5em", num: true },
    { key: "tokens", label: "tokens", w: "5em", num: true },
    { key: "cost", label: "cost", w: "7.5em", num: true }
  ];
  var GRID = "";
  function grid() {
    // a comparison's numbers carry their change (+12): wider columns
    var wide = { dur: "7.5em", tokens: "6.5em" };
    return columns().map(function (c) {
      if (S.view.kind === "cmp" && wide[c.key]) return wide[c.key];
      if (c.key === "suite" || c.key === "variant") return fitted(c.key, c.label);
      return c.w;
    }).join(" ");
  }
  function fitted(key, label) {
    // suite and variant names are short and must be read whole: the column is as wide as
    // its longest name (up to 24 characters; a longer one is cut with an ellipsis)
    var longest = label.length;
    for (var i = 0; i < S.rows.length && longest < 24; i++) {
      var v = S.rows[i][key];
      if (v) longest = Math.max(longest, Math.min(24, String(v).length));
    }
    return (longest + 2) + "ch";
  }
  var SHOW_VARIANT = true;
  function columns() {
    // no variant column when no case ran under a variant
    SHOW_VARIANT = S.rows.some(function (r) { return r.variant; });
    return COLUMNS.filter(function (c) { return c.key !== "variant" || SHOW_VARIANT; });
  }

  function sortRows(rows) {
    var key = S.sort.key, dir = S.sort.dir;
    rows.sort(function (x, y) {
      var a, b;
      if (key === "status") { a = STATUS_ORDER[x.status]; b = STATUS_ORDER[y.status]; }
      else { a = x[key]; b = y[key]; }
      if (a === null || a === undefined) a = -Infinity;
      if (b === null || b === undefined) b = -Infinity;
      if (a < b) return -dir;
      if (a > b) return dir;
      return x.key < y.key ? -1 : x.key > y.key ? 1 : 0;
    });
  }

  function renderHead() {
    GRID = grid();
    clear(ui.head);
    ui.head.style.gridTemplateColumns = GRID;
    columns().forEach(function (c) {
      var active = S.sort.key === c.key;
      ui.head.appendChild(el("button", {
        class: "col" + (c.num ? " num" : ""), "data-sort": c.key, role: "columnheader",
        "aria-sort": active ? (S.sort.dir > 0 ? "ascending" : "descending") : "none",
        onclick: function () {
          if (S.sort.key === c.key) S.sort.dir = -S.sort.dir; else S.sort = { key: c.key, dir: c.num ? -1 : 1 };
          applyFilters();
        }
      }, c.label + (active ? (S.sort.dir > 0 ? " ▲" : " ▼") : "")));
    });
  }

  var pending = false;
  function scheduleRows() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; renderRows(); });
  }

  function renderRows() {
    var top = ui.list.scrollTop, height = ui.list.clientHeight || 600;
    var first = Math.max(0, Math.floor(top / ROW_H) - 10);
    var last = Math.min(S.shown.length, Math.ceil((top + height) / ROW_H) + 10);
    clear(ui.body);
    if (!S.shown.length) {
      ui.body.appendChild(el("div", { class: "empty" }, S.rows.length ? "No case matches these filters." : "This run has no readable case."));
      return;
    }
    var frag = document.createDocumentFragment();
    for (var i = first; i < last; i++) frag.appendChild(rowElement(S.shown[i], i));
    ui.body.appendChild(frag);
  }

  function cell(text, cls, title) { return el("span", { class: "cell" + (cls ? " " + cls : ""), title: title }, text); }
  function delta(value, fmt) {
    if (value === null || value === undefined || Math.abs(value) < 0.5) return null;
    return el("small", { class: value > 0 ? "up" : "down" }, " " + fmt(value));
  }

  function rowElement(r, i) {
    var cost = cell(r.cost === null && r.dur === null ? "–" : money(r.cost), "num"), dur = cell(ms(r.dur), "num"), tokens = cell(int(r.tokens), "num");
    if (r.diff) {
      add(dur, delta(r.dDur, function (v) { return signed(v); }));
      add(tokens, delta(r.dTokens, function (v) { return signed(v); }));
    }
    var node = el("div", {
      class: "row" + (r.key === S.selected ? " selected" : ""), role: "row", "data-key": r.key,
      "aria-selected": r.key === S.selected ? "true" : "false",
      style: "top:" + i * ROW_H + "px;grid-template-columns:" + GRID,
      onclick: function () { select(r.key); }
    },
      cell(el("span", { class: "badge st-" + r.status.replace(/ /g, "-") }, r.status)),
      cell(r.name, "name", r.key), cell(r.suite, null, r.suite), SHOW_VARIANT ? cell(r.variant, null, r.variant) : null, dur, tokens, cost);
    return node;
  }

  function onListKey(e) {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    e.preventDefault();
    var at = -1;
    for (var i = 0; i < S.shown.length; i++) if (S.shown[i].key === S.selected) { at = i; break; }
    var next = Math.max(0, Math.min(S.shown.length - 1, at + (e.key === "ArrowDown" ? 1 : -1)));
    if (S.shown[next]) {
      select(S.shown[next].key);
      var y = next * ROW_H;
      if (y < ui.list.scrollTop + ROW_H) ui.list.scrollTop = y - ROW_H;
      else if (y > ui.list.scrollTop + ui.list.clientHeight - 2 * ROW_H) ui.list.scrollTop = y - ui.list.clientHeight + 2 * ROW_H;
    }
  }

  function select(key, quiet) {
    S.selected = key;
    S.sample = null;
    renderRows();
    renderDetail();
    if (!quiet) writeHash();
  }

  // -- the case -----------------------------------------------------------------------

  function findRow(key) {
    for (var i = 0; i < S.rows.length; i++) if (S.rows[i].key === key) return S.rows[i];
    return null;
  }

  function section(title, body, cls) {
    return el("section", { class: "part" + (cls ? " " + cls : "") }, el("h3", null, title), body);
  }

  function fold(text, cls) {
    var lines = text.split("\n");
    var long = text.length > 1500 || lines.length > 24;
    var pre = el("pre", { class: "text" + (cls ? " " + cls : "") + (long ? " folded" : "") }, text);
    if (!long) return pre;
    var button = el("button", { class: "unfold", onclick: function () {
      var folded = pre.classList.toggle("folded");
      button.textContent = folded ? "show all " + lines.length + " lines" : "fold";
    } }, "show all " + lines.length + " lines");
    return el("div", { class: "foldable" }, pre, button);
  }

  /* Pretty JSON whose leaf lines carry their path (evalkit.compare.diff's notation: a.b[0].c), so
   * the fields a comparison found changed are highlighted. */
  var MAX_JSON_DEPTH = 32;
  function jsonTree(value, changed) {
    var pre = el("pre", { class: "json" });
    function line(depth, path, parts) {
      var span = el("span", { class: "jl" + (changed && path !== null && changed[path] ? " chg" : ""), "data-path": path === null ? null : path });
      add(span, "  ".repeat(depth));
      add(span, parts);
      add(span, "\n");
      pre.appendChild(span);
    }
    function leaf(v) {
      var cls = v === null ? "jnull" : typeof v === "string" ? "jstr" : typeof v === "number" ? "jnum" : "jbool";
      return el("span", { class: cls }, JSON.stringify(v));
    }
    function walk(v, depth, path, keyLabel, comma) {
      var prefix = keyLabel === null ? [] : [el("span", { class: "jkey" }, JSON.stringify(keyLabel)), ": "];
      var tail = comma ? "," : "";
      if ((Array.isArray(v) || isObj(v)) && depth >= MAX_JSON_DEPTH) {
        // An output nested thousands deep would overflow the page's stack: cut, and say so.
        line(depth, path, prefix.concat([el("span", { class: "muted" }, "\u2026 nested deeper than " + MAX_JSON_DEPTH + " levels: not shown"), tail]));
        return;
      }
      if (Array.isArray(v) || isObj(v)) {
        var entries = Array.isArray(v) ? v.map(function (x, i) { return [i, x]; }) : Object.keys(v).map(function (k) { return [k, v[k]]; });
        var open = Array.isArray(v) ? "[" : "{", close = Array.isArray(v) ? "]" : "}";
        if (!entries.length) { line(depth, path, prefix.concat([open + close + tail])); return; }
        line(depth, null, prefix.concat([open]));
        entries.forEach(function (e, idx) {
          var sub = Array.isArray(v) ? path + "[" + e[0] + "]" : (path ? path + "." + e[0] : String(e[0]));
          walk(e[1], depth + 1, sub, Array.isArray(v) ? null : e[0], idx < entries.length - 1);
        });
        line(depth, null, [close + tail]);
      } else {
        line(depth, path, prefix.concat([leaf(v), tail]));
      }
    }
    walk(value, 0, "", null, false);
    return pre;
  }

  function renderValue(text, changed) {
    if (text === null || text === undefined) return el("p", { class: "muted" }, "no output");
    var parsed = parseJson(text);
    if (parsed !== undefined) {
      var tree = jsonTree(parsed, changed);
      var lines = tree.childNodes.length;
      if (lines <= 40) return tree;
      tree.classList.add("folded");
      var button = el("button", { class: "unfold", onclick: function () {
        var folded = tree.classList.toggle("folded");
        button.textContent = folded ? "show all " + lines + " lines" : "fold";
      } }, "show all " + lines + " lines");
      return el("div", { class: "foldable" }, tree, button);
    }
    return fold(String(text), "output");
  }

  function renderContent(content) {
    if (typeof content === "string") return fold(content);
    if (Array.isArray(content)) {
      return el("div", { class: "parts" }, content.map(function (p) {
        if (!isObj(p)) return fold(pretty(p));
        if (p.type === "text" && typeof p.text === "string") return fold(p.text);
        if (p.type === "image_url" || p.type === "input_image") {
          var url = isObj(p.image_url) ? p.image_url.url : p.image_url;
          if (typeof url === "string" && /^data:image\//i.test(url)) {
            var img = el("img", { class: "thumb", alt: "image in the request", src: url, title: "click to enlarge", onclick: function () { img.classList.toggle("big"); } });
            return img;
          }
          return el("p", { class: "muted" }, "[image not embedded: " + String(url).slice(0, 200) + "]");
        }
        return fold(pretty(p));
      }));
    }
    if (content === null || content === undefined) return null;
    return fold(pretty(content));
  }

  function renderMessages(messages) {
    if (!Array.isArray(messages)) return fold(pretty(messages));
    return el("div", { class: "messages" }, messages.map(function (m) {
      if (!isObj(m)) return fold(pretty(m));
      var role = typeof m.role === "string" ? m.role : "?";
      return el("div", { class: "msg role-" + role.replace(/[^a-z]/g, "") },
        el("div", { class: "role" }, role + (m.name ? " (" + m.name + ")" : "") + (m.tool_call_id ? " → " + m.tool_call_id : "")),
        renderContent(m.content),
        m.tool_calls ? renderToolCalls(m.tool_calls) : null);
    }));
  }

  function renderToolCalls(calls) {
    if (!Array.isArray(calls)) return fold(pretty(calls));
    return el("ol", { class: "tools" }, calls.map(function (c) {
      if (!isObj(c)) return el("li", null, fold(pretty(c)));
      var fn = isObj(c.function) ? c.function : c;
      var args = fn.arguments;
      var parsed = typeof args === "string" ? parseJson(args) : args;
      return el("li", null,
        el("code", { class: "tool-name" }, String(fn.name || "?")), c.id ? el("span", { class: "muted small" }, " " + c.id) : null,
        parsed !== undefined && parsed !== null && typeof parsed === "object" ? jsonTree(parsed) : fold(pretty(args === undefined ? "" : args)));
    }));
  }

  function renderToolResults(results) {
    // a tool's result is often JSON sent as a string: shown as the JSON it holds
    if (!Array.isArray(results)) return renderValue(pretty(results));
    return jsonTree(results.map(function (r) {
      if (!isObj(r)) return r;
      var copy = {};
      Object.keys(r).forEach(function (k) {
        var parsed = k === "result" ? parseJson(r[k]) : undefined;
        copy[k] = parsed !== undefined ? parsed : r[k];
      });
      return copy;
    }));
  }

  function renderTurns(turns) {
    if (!Array.isArray(turns)) return fold(pretty(turns));
    return el("div", { class: "turns" }, turns.map(function (t, i) {
      if (!isObj(t)) return fold(pretty(t));
      var facts = [];
      if (t.latency_ms !== undefined) facts.push("latency " + ms(t.latency_ms));
      if (t.ttft_ms !== undefined && t.ttft_ms !== null) facts.push("first token " + ms(t.ttft_ms));
      if (t.input_tokens !== undefined) facts.push(int(t.input_tokens) + " in");
      if (t.output_tokens !== undefined) facts.push(int(t.output_tokens) + " out");
      if (t.finish_reason) facts.push("finish " + t.finish_reason);
      return el("div", { class: "turn" },
        el("div", { class: "turn-head" }, "turn " + (i + 1), el("span", { class: "muted small" }, facts.length ? " · " + facts.join(" · ") : "")),
        t.output !== undefined && t.output !== null && t.output !== "" ? renderValue(t.output) : null,
        Array.isArray(t.tool_calls) && t.tool_calls.length ? el("div", null, el("div", { class: "label" }, "tool calls"), renderToolCalls(t.tool_calls)) : null,
        t.tool_results !== undefined && t.tool_results !== null && !(Array.isArray(t.tool_results) && !t.tool_results.length)
          ? el("div", null, el("div", { class: "label" }, "tool results"), renderToolResults(t.tool_results)) : null);
    }));
  }

  function checkTable(sample, other) {
    var byIndex = {};
    if (other) (other.checks || []).forEach(function (c) { byIndex[c.index] = c; });
    var checks = sample.checks || [];
    // score and weight columns only when some check has a score / a weight other than 1
    var scored = checks.some(function (c) { return c.score !== null && c.score !== undefined; });
    var weighted = checks.some(function (c) { return c.weight !== 1; });
    var rows = checks.map(function (c) {
      var o = byIndex[c.index];
      var changed = other && (!o || o.passed !== c.passed || o.score !== c.score);
      return el("tr", { class: (c.passed ? "ok" : c.weight > 0 ? "bad" : "info") + (changed ? " chg" : ""), "data-check": c.index },
        el("td", null, c.index == null ? "implicit" : String(c.index)),
        el("td", null, el("code", null, c.type), c.line ? el("span", { class: "muted small" }, " line " + c.line) : null),
        el("td", null, c.passed ? "pass" : c.weight > 0 ? "FAIL" : "fail (informational)"),
        scored ? el("td", { class: "num" }, c.score === null || c.score === undefined ? "" : Number(c.score).toFixed(3)) : null,
        weighted ? el("td", { class: "num" }, String(c.weight)) : null,
        el("td", { class: "msg-cell" }, c.message || ""));
    });
    if (!rows.length) return el("p", { class: "muted" }, "no checks recorded");
    var heads = ["#", "check", "result"].concat(scored ? ["score"] : [], weighted ? ["weight"] : [], ["message"]);
    return el("table", { class: "checks" },
      el("thead", null, el("tr", null, heads.map(function (h) { return el("th", null, h); }))),
      el("tbody", null, rows));
  }

  var FACTS = [
    ["input tokens", function (s) { return s.input_tokens; }, int],
    ["cached tokens", function (s) { return s.cached_tokens; }, int],
    ["output tokens", function (s) { return s.output_tokens; }, int],
    ["cost", function (s) { return s.cost_usd; }, money],
    ["latency", function (s) { return s.latency_ms; }, ms],
    ["time to first token", function (s) { return s.ttft_ms; }, ms, true],
    ["retries", function (s) { return s.retries; }, String],
    ["finish reason", function (s) { return s.finish_reason; }, String, true],
    ["model", function (s) { return s.model; }, String, true],
    ["source", function (s) { return s.source; }, String, true],
    ["request id", function (s) { return s.request_id; }, String, true],
    ["recording", function (s) { return s.recording; }, String, true],
    ["request key", function (s) { return s.request_key; }, String, true]
  ];

  function factsList(sample, other) {
    var dl = el("dl", { class: "facts" });
    FACTS.forEach(function (f) {
      var v = f[1](sample);
      var optional = f[3];
      if (optional && (v === null || v === undefined || v === "")) return;
      var changed = other && f[1](other) !== v;
      dl.appendChild(el("div", { class: changed ? "chg" : "" }, el("dt", null, f[0]), el("dd", null, v === null || v === undefined ? "–" : f[2](v))));
    });
    return dl;
  }

  function renderSample(sample, opts) {
    opts = opts || {};
    var out = el("div", { class: "sample" });
    if (!sample) { out.appendChild(el("p", { class: "muted" }, opts.missing || "no sample")); return out; }
    if (sample.error) out.appendChild(section("Error", fold(sample.error, "error"), "error-part"));
    if (sample.messages !== undefined && sample.messages !== null) out.appendChild(section("Messages", renderMessages(sample.messages)));
    if (Array.isArray(sample.turns) && sample.turns.length) out.appendChild(section("Turns", renderTurns(sample.turns)));
    if (opts.review) out.appendChild(reviewPart(opts.review.c, opts.review.i, sample));
    out.appendChild(section("Output", renderValue(sample.output, opts.changed), "output-part"));
    if (Array.isArray(sample.tool_calls) && sample.tool_calls.length) out.appendChild(section("Tool calls", renderToolCalls(sample.tool_calls)));
    out.appendChild(section("Checks", checkTable(sample, opts.other)));
    out.appendChild(section("Usage", factsList(sample, opts.other)));
    if (sample.aux && sample.aux.length) {
      out.appendChild(section("Calls made by checks", el("table", { class: "checks" },
        el("thead", null, el("tr", null, ["kind", "model", "tokens in / out", "cost", "source"].map(function (h) { return el("th", null, h); }))),
        el("tbody", null, sample.aux.map(function (a) {
          return el("tr", null, el("td", null, a.kind), el("td", null, a.model), el("td", null, int(a.input_tokens) + " / " + int(a.output_tokens)), el("td", null, money(a.cost_usd)), el("td", null, a.source || ""));
        })))));
    }
    return out;
  }

  function whyItFailed(c) {
    var items = [];
    if (c.status && c.status !== "done") items.push(el("li", null, c.status));
    (c.samples || []).forEach(function (s) {
      if (s.passed) return;
      var prefix = (c.samples.length > 1 ? "sample " + s.sample + ": " : "");
      if (s.error) { items.push(el("li", null, prefix + s.error)); return; }
      var before = items.length;
      (s.checks || []).forEach(function (k) {
        if (!k.passed && k.weight > 0) items.push(el("li", null, prefix, el("code", null, k.type), ": " + (k.message || "failed")));
      });
      if (items.length === before) items.push(el("li", null, prefix + "failed; these results hold no failing check for it"));
    });
    if (!items.length && !c.passed) items.push(el("li", null, "no sample passed the case threshold"));
    return items.length ? el("div", { class: "why", id: "why" }, el("h3", null, c.passed ? "Failed samples" : "Why it failed"), el("ul", null, items)) : null;
  }

  function flakyInHistory(c) {
    var keys = DATA.history && DATA.history.flaky;
    return !!keys && keys.indexOf(c.suite + "::" + c.case + "[" + (c.variant === null || c.variant === undefined ? "" : c.variant) + "]") >= 0;
  }
  function samplesFact(c) {
    // k/n, the observed rate and its interval at the suite's confidence, and flakiness
    var n = c.samples.length, k = c.samples.filter(function (s) { return s.passed; }).length;
    var text = k + "/" + n + " passed, against " + pct(c.case_threshold);
    if (Array.isArray(c.interval) && c.interval.length === 2) {
      text += "; rate " + (k / n).toFixed(2) + ", " + pct(c.confidence || 0.95) + " interval [" +
        Number(c.interval[0]).toFixed(2) + ", " + Number(c.interval[1]).toFixed(2) + "]";
    }
    if (k > 0 && k < n) text += "; flaky (its samples disagree)";
    return text;
  }
  function inconclusiveFact(c) {
    var more = typeof c.settle === "number" ? "about " + c.settle + " more samples would settle it" : "its rate is at the bar";
    return "inconclusive: " + more + " (on_inconclusive: " + (c.on_inconclusive || "fail") + ")";
  }

  function caseFacts(c, other) {
    var facts = [
      ["where", c.file ? c.file + (c.line ? ":" + c.line : "") : null],
      ["prompt", c.prompt ? c.prompt + (c.prompt_digest ? " (" + c.prompt_digest.slice(0, 19) + "…)" : "") : null],
      ["model", c.model_requested], ["mode", c.mode],
      ["samples", (c.samples || []).length > 1 ? samplesFact(c) : null],
      ["verdict", c.verdict === "inconclusive" ? inconclusiveFact(c) : null],
      ["flaky", flakyInHistory(c) ? "in the history: its verdict changed between runs that sent it the identical request" : null],
      ["finished", c.finished_at], ["results line", c.line_no]
    ];
    var dl = el("dl", { class: "facts wide" });
    facts.forEach(function (f) {
      if (f[1] === null || f[1] === undefined || f[1] === "") return;
      var field = f[0] === "prompt" ? "prompt" : f[0] === "model" ? "model_requested" : null;
      var changed = other && field && c[field] !== other[field];
      dl.appendChild(el("div", { class: changed ? "chg" : null, "data-fact": f[0] }, el("dt", null, f[0]), el("dd", null, String(f[1]))));
    });
    return dl;
  }

  function sampleTabs(count, failing, render) {
    var wrap = el("div");
    if (count <= 1) { wrap.appendChild(render(0)); return wrap; }
    var current = S.sample === null ? failing : S.sample;
    var bar = el("div", { class: "sample-tabs", role: "tablist", "aria-label": "samples" });
    var body = el("div");
    function show(i) {
      S.sample = i;
      Array.prototype.forEach.call(bar.children, function (b, j) { b.setAttribute("aria-selected", String(i === j)); });
      clear(body);
      body.appendChild(render(i));
    }
    for (var i = 0; i < count; i++) {
      (function (i) { bar.appendChild(el("button", { role: "tab", class: "sample-tab", "data-sample": i, onclick: function () { show(i); } }, "sample " + i)); })(i);
    }
    add(wrap, [bar, body]);
    show(current);
    return wrap;
  }
  function firstFailing(samples) {
    for (var i = 0; i < samples.length; i++) if (!samples[i].passed) return i;
    return 0;
  }
  function markSampleTabs(container, a, b) {
    var tabs = container.querySelectorAll(".sample-tab");
    Array.prototype.forEach.call(tabs, function (t, i) {
      var marks = [];
      [a, b].forEach(function (side) { if (side && side.samples && side.samples[i]) marks.push(side.samples[i].passed ? "✓" : "✗"); });
      t.textContent = "sample " + i + " " + marks.join(" ");
    });
  }

  function renderDetail() {
    clear(ui.detail);
    var row = S.selected === null ? null : findRow(S.selected);
    if (!row) {
      add(ui.detail, el("p", { class: "muted empty" }, S.rows.length ? "Pick a case on the left." : "No case to show."));
      return;
    }
    var pair = viewCases(row);
    var a = pair[0], b = pair[1];
    var head = el("header", { class: "case-head" },
      el("h2", { id: "case-title" }, row.key),
      el("span", { class: "badge st-" + row.status.replace(/ /g, "-") }, row.status));
    add(ui.detail, head);
    if (!row.diff) {
      var c = b;
      add(ui.detail, whyItFailed(c));
      add(ui.detail, caseFacts(c));
      if (c.vars !== undefined && c.vars !== null) add(ui.detail, section("Vars", isObj(c.vars) || Array.isArray(c.vars) ? jsonTree(c.vars) : fold(pretty(c.vars))));
      var samples = c.samples || [];
      if (!samples.length) {
        add(ui.detail, el("p", { class: "muted" }, "no sample was run"));
        return;
      }
      var tabs = sampleTabs(samples.length, firstFailing(samples), function (i) { return renderSample(samples[i], { review: { c: c, i: i } }); });
      markSampleTabs(tabs, null, c);
      add(ui.detail, tabs);
      return;
    }
    // a comparison: both sides, side by side
    var cmp = CMPS[S.view.index], d = row.diff;
    var changed = {};
    (d.changes || []).forEach(function (ch) { changed[ch.path] = true; });
    var verdicts = el("p", { class: "verdicts" },
      cmp.label_a + ": " + (a ? (a.passed ? "pass" : "FAIL") : "absent") + " · " + cmp.label_b + ": " + (b ? (b.passed ? "pass" : "FAIL") : "absent"),
      a && b ? " · Δ tokens " + signed(d.d_input_tokens) + " in / " + signed(d.d_output_tokens) + " out · Δ cost " + signed(d.d_cost_usd, 6) + " · Δ latency " + signed(d.d_latency_ms) + " ms" : "");
    add(ui.detail, verdicts);
    if (d.reason) add(ui.detail, el("p", { class: "note", id: "not-comparable" }, "not comparable: " + d.reason + " (never counted as a regression or a fix)"));
    if (b && !b.passed) add(ui.detail, whyItFailed(b));
    else if (a && !a.passed) add(ui.detail, whyItFailed(a));
    if (d.changes && d.changes.length) {
      add(ui.detail, section("Changed fields", el("table", { class: "changes", id: "changes" },
        el("thead", null, el("tr", null, el("th", null, "field"), el("th", null, cmp.label_a), el("th", null, cmp.label_b))),
        el("tbody", null, d.changes.map(function (ch) {
          return el("tr", { class: "chg" }, el("td", null, el("code", null, ch.path)), el("td", null, ch.a === undefined ? "–" : JSON.stringify(ch.a)), el("td", null, ch.b === undefined ? "–" : JSON.stringify(ch.b)));
        })))));
    }
    if (d.text_diff) {
      var pre = el("pre", { class: "diff" });
      d.text_diff.split("\n").forEach(function (l) {
        pre.appendChild(el("span", { class: l[0] === "+" && l.slice(0, 3) !== "+++" ? "add" : l[0] === "-" && l.slice(0, 3) !== "---" ? "del" : "" }, l + "\n"));
      });
      add(ui.detail, section("Output changed", pre));
    }
    var sa = a ? a.samples || [] : [], sb = b ? b.samples || [] : [];
    var count = Math.max(sa.length, sb.length, 1);
    var failing = sb.length ? firstFailing(sb) : firstFailing(sa);
    var tabs2 = sampleTabs(count, failing, function (i) {
      return el("div", { class: "sides" },
        el("div", { class: "side side-a" }, el("h3", { class: "side-label" }, cmp.label_a), a ? caseFacts(a, b) : null,
          renderSample(sa[i], { other: sb[i], changed: changed, missing: a ? "no sample " + i : "not in " + cmp.label_a })),
        el("div", { class: "side side-b" }, el("h3", { class: "side-label" }, cmp.label_b), b ? caseFacts(b, a) : null,
          renderSample(sb[i], { other: sa[i], changed: changed, missing: b ? "no sample " + i : "not in " + cmp.label_b })));
    });
    markSampleTabs(tabs2, a, b);
    add(ui.detail, tabs2);
  }

  // -- review: human labels for calibrating a judge -------------------------------------
  // A reviewer marks a sample's output pass or fail with a note (one click each, or the
  // keys p, f and n) and downloads the marks as a labels file: one JSON object a line,
  // {"case", "output", "label", "note", "vars"?}, the format a judge's `labels:` reads
  // (`evalkit calibrate`). Nothing leaves the page: the file is a Blob the browser saves.

  var LABELS = {};  // key -> {case, suite, output, label, note, vars}
  var LABEL_ORDER = [];
  function labelKey(c, i) { return S.view.kind + S.view.index + "|" + itemId(c) + "|" + i; }
  function labelFor(c, i, sample) {
    var key = labelKey(c, i);
    if (!LABELS[key]) {
      LABELS[key] = { case: c.case, suite: c.suite, output: sample.output, label: null, note: "", vars: isObj(c.vars) ? c.vars : null };
      LABEL_ORDER.push(key);
    }
    return LABELS[key];
  }
  function labelled() { return LABEL_ORDER.map(function (k) { return LABELS[k]; }).filter(function (l) { return l.label; }); }
  function labelsText() {
    return labelled().map(function (l) {
      var line = { case: l.case, output: l.output, label: l.label, note: l.note };
      if (l.vars && Object.keys(l.vars).length) line.vars = l.vars;
      return JSON.stringify(line) + "\n";
    }).join("");
  }
  function labelsName() {
    var suites = {};
    labelled().forEach(function (l) { suites[l.suite] = true; });
    var names = Object.keys(suites);
    return (names.length === 1 ? names[0].replace(/[^A-Za-z0-9_.-]+/g, "-") + "-" : "") + "labels.jsonl";
  }
  function updateDownload() {
    var n = labelled().length;
    ui.download.textContent = "download labels (" + n + ")";
    ui.download.disabled = n === 0;
  }
  function downloadLabels() {
    if (!labelled().length) return;
    var url = URL.createObjectURL(new Blob([labelsText()], { type: "application/x-ndjson" }));
    var link = el("a", { href: url, download: labelsName(), hidden: true });
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }
  function reviewPart(c, i, sample) {
    if (typeof sample.output !== "string") return section("Review", el("p", { class: "muted" }, "no output to label"), "review-part");
    var key = labelKey(c, i);
    var current = LABELS[key];
    var status = el("span", { class: "review-status", id: "review-status" });
    var note = el("textarea", { id: "review-note", rows: 2, placeholder: "note (n): why it passes or fails", "aria-label": "review note" });
    note.value = current ? current.note : "";
    var pass = el("button", { class: "review-pass", id: "review-pass", title: "the output passes (p)" }, "pass (p)");
    var fail = el("button", { class: "review-fail", id: "review-fail", title: "the output fails (f)" }, "fail (f)");
    function show() {
      var l = LABELS[key];
      var said = l && l.label ? l.label : "";
      pass.setAttribute("aria-pressed", String(said === "pass"));
      fail.setAttribute("aria-pressed", String(said === "fail"));
      status.textContent = said ? "labelled " + said : "not labelled";
    }
    function mark(label) {
      var l = labelFor(c, i, sample);
      l.label = l.label === label ? null : label;  // a second click takes the mark back
      l.note = note.value;
      show();
      updateDownload();
    }
    pass.addEventListener("click", function () { mark("pass"); });
    fail.addEventListener("click", function () { mark("fail"); });
    note.addEventListener("input", function () { labelFor(c, i, sample).note = note.value; });
    note.addEventListener("keydown", function (e) { if (e.key === "Escape") { note.blur(); ui.list.focus(); } });
    var part = section("Review", el("div", { class: "review" }, pass, fail, status, note), "review-part");
    part.__mark = mark;
    show();
    return part;
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    var tag = e.target && e.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    if (e.key !== "p" && e.key !== "f" && e.key !== "n") return;
    var part = ui.detail.querySelector(".review-part");
    if (!part || !part.__mark) return;
    e.preventDefault();
    if (e.key === "n") part.querySelector("textarea").focus();
    else part.__mark(e.key === "p" ? "pass" : "fail");
  });

  // -- history ------------------------------------------------------------------------

  var charts = [];
  function runLink(hr) {
    if (hr.loaded !== null && hr.loaded !== undefined && RUNS[hr.loaded]) return "#view=run:" + hr.loaded;
    return safeHref(hr.href);
  }
  function goRun(hr) {
    var href = runLink(hr);
    if (!href) return;
    if (href[0] === "#") { setTab("cases"); setView({ kind: "run", index: hr.loaded }); }
    else window.location.href = href;
  }

  function renderHistory() {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    clear(ui.historyTab);
    var H = DATA.history;
    if (!H || !H.runs || !H.runs.length) { ui.historyTab.appendChild(el("p", { class: "muted" }, "No history: no results folder was given.")); return; }
    var runs = H.runs;
    ui.historyTab.appendChild(el("p", { class: "muted" }, runs.length + " run(s) in " + H.folder + ", oldest first. Click a point to open its run."));
    var groups = {};
    runs.forEach(function (r) { r.suites.forEach(function (s) { groups[s.suite] = true; }); });
    var xs = runs.map(function (_, i) { return i; });
    function label(i) { var r = runs[Math.round(i)]; return r ? r.id : ""; }
    var METRICS = [
      ["pass rate", "%", function (s) { return s.pass_rate * 100; }, function (v) { return v === null ? "–" : v.toFixed(1) + "%"; }, "#1a7f37"],
      ["cost per 1,000 cases", "$", function (s) { return s.cost_per_1000; }, function (v) { return v === null ? "–" : "$" + v.toFixed(4); }, "#8250df"],
      ["p95 latency", "ms", function (s) { return s.p95_ms; }, function (v) { return v === null ? "–" : Math.round(v) + " ms"; }, "#bc4c00"]
    ];
    if (typeof uPlot === "undefined") ui.historyTab.appendChild(el("p", { class: "note" }, "The chart library did not load; the table below has every figure."));
    Object.keys(groups).sort().forEach(function (g) {
      var box = el("section", { class: "history-suite" }, el("h3", null, g));
      var row = el("div", { class: "charts" });
      box.appendChild(row);
      ui.historyTab.appendChild(box);
      METRICS.forEach(function (m) {
        var ys = runs.map(function (r) {
          var s = r.suites.filter(function (x) { return x.suite === g; })[0];
          var v = s ? m[2](s) : null;
          return v === undefined ? null : v;
        });
        var holder = el("figure", { class: "chart", "data-suite": g, "data-metric": m[0] }, el("figcaption", null, m[0]));
        row.appendChild(holder);
        if (typeof uPlot === "undefined") return;
        var width = Math.max(260, Math.floor((ui.historyTab.clientWidth || 1200) / 3) - 30);
        var u = new uPlot({
          width: width, height: 200,
          legend: { show: true, live: true },
          cursor: { points: { size: 9 }, drag: { x: false, y: false } },
          scales: {
            x: { time: false, range: [-0.5, Math.max(runs.length - 0.5, 0.5)] },
            y: { range: m[1] === "%" ? [0, 100] : function (u, min, max) { return [0, max > 0 ? max * 1.15 : 1]; } }
          },
          axes: [
            { values: function (u, splits) { return splits.map(function (v) { return Number.isInteger(v) ? label(v) : ""; }); }, incrs: [1, 2, 5, 10, 20, 50], size: 40, rotate: 0 },
            { values: function (u, splits) { return splits.map(function (v) { return m[1] === "$" ? "$" + v.toPrecision(2) : m[1] === "%" ? v + "%" : v; }); }, size: 60 }
          ],
          series: [
            { label: "run", value: function (u, v) { return v === null || v === undefined ? "–" : label(v); } },
            { label: m[0], stroke: m[4], width: 2, points: { show: true, size: 7, fill: m[4] }, spanGaps: true, value: function (u, v) { return m[3](v); } }
          ]
        }, [xs, ys], holder);
        u.over.style.cursor = "pointer";
        u.over.addEventListener("click", function () {
          var i = u.cursor.idx;
          if (i !== null && i !== undefined && runs[i]) goRun(runs[i]);
        });
        u.__meta = { suite: g, metric: m[0] };
        charts.push(u);
      });
    });
    // every figure, and a link to each run
    var groupsList = Object.keys(groups).sort();
    var table = el("table", { class: "stats", id: "history-table" },
      el("thead", null, el("tr", null, [el("th", null, "run"), el("th", null, "time")].concat(groupsList.map(function (g) { return el("th", null, g + ": pass / $ per 1k / p95"); })))),
      el("tbody", null, runs.slice().reverse().map(function (r) {
        var href = runLink(r);
        return el("tr", null,
          el("td", null, href ? el("a", { href: href, onclick: function (e) { if (href[0] === "#") { e.preventDefault(); goRun(r); } } }, r.id) : r.id),
          el("td", null, r.time),
          groupsList.map(function (g) {
            var s = r.suites.filter(function (x) { return x.suite === g; })[0];
            return el("td", null, s ? pct(s.pass_rate) + " / " + money(s.cost_per_1000) + " / " + ms(s.p95_ms) : "–");
          }));
      })));
    ui.historyTab.appendChild(el("h3", null, "Runs"));
    ui.historyTab.appendChild(table);
    window.__evalkit.charts = charts;
  }

  function setTab(tab) {
    if (tab === "history" && ui.tabHistory.disabled) tab = "cases";
    S.tab = tab;
    ui.tabCases.setAttribute("aria-selected", String(tab === "cases"));
    ui.tabHistory.setAttribute("aria-selected", String(tab === "history"));
    ui.casesTab.hidden = tab !== "cases";
    ui.historyTab.hidden = tab !== "history";
    if (tab === "history") renderHistory();
    else scheduleRows();
    writeHash();
  }

  // -- address ------------------------------------------------------------------------

  var writing = false;
  function writeHash() {
    var parts = ["view=" + S.view.kind + ":" + S.view.index];
    if (S.tab !== "cases") parts.push("tab=" + S.tab);
    if (S.selected !== null) parts.push("case=" + encodeURIComponent(S.selected));
    var hash = "#" + parts.join("&");
    if (window.location.hash !== hash) {
      writing = true;
      try { history.replaceState(null, "", hash); } catch (e) { /* file: URLs in some browsers */ }
      writing = false;
    }
  }
  function readHash() {
    var out = {};
    window.location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) {
        try { out[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* a hand-typed bad hash */ }
      }
    });
    return out;
  }
  function fromHash() {
    var h = readHash();
    if (h.view) {
      var p = h.view.split(":");
      var view = { kind: p[0], index: Number(p[1]) };
      if ((view.kind === "run" && RUNS[view.index]) || (view.kind === "cmp" && CMPS[view.index])) S.view = view;
    }
    if (h.case) S.selected = h.case;
    if (h.tab === "history") S.tab = "history";
  }
  window.addEventListener("hashchange", function () {
    if (writing) return;
    var before = S.view.kind + ":" + S.view.index;
    fromHash();
    if (S.view.kind + ":" + S.view.index !== before) setView(S.view, true);
    else { renderRows(); renderDetail(); }
    setTab(S.tab);
  });

  // -- start --------------------------------------------------------------------------

  window.__evalkit = { state: S, charts: charts, lastFilterMs: null, ready: false };
  build();
  fromHash();
  setView(S.view, S.selected !== null);
  setTab(S.tab);
  window.__evalkit.ready = true;
  window.__evalkit.readyAt = performance.now();
  document.body.setAttribute("data-ready", "true");
})();
