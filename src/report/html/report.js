// deadweight's HTML report: draws the data embedded in #dw-data. No network, no libraries.
// Sections: header and totals, a zoomable squarified treemap of the final filesystem
// (area = bytes, colour = layer), the layer bar, findings, waste, packages; for `diff`,
// before/after totals, category deltas and the AFTER treemap with growths marked.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("dw-data").textContent);
  const R = D.report;
  const app = document.getElementById("app");
  const tip = document.getElementById("tip");
  const total = D.tree.s || 0;

  // ---- helpers -------------------------------------------------------------------
  function fmt(n) {
    if (n === null || n === undefined) return "-";
    if (D.format === "raw") return Math.round(n).toLocaleString("en-US");
    const base = D.format === "iec" ? 1024 : 1000;
    const units = D.format === "iec" ? ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] : ["B", "kB", "MB", "GB", "TB", "PB"];
    if (Math.abs(n) < base) return n + " B";
    let v = Math.abs(n), u = 0;
    while (v >= base && u < units.length - 1) { v /= base; u++; }
    const s = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
    return (n < 0 ? "-" : "") + s + " " + units[u];
  }
  function sfmt(n) { return n > 0 ? "+" + fmt(n) : n < 0 ? "-" + fmt(-n) : fmt(0); }
  function pct(a, b) { return b > 0 ? (100 * a / b).toFixed(1) + "%" : "-"; }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "class") e.className = attrs[k];
      else if (k === "style") e.style.cssText = attrs[k];
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    for (const c of kids) if (c !== null && c !== undefined) e.append(c.nodeType ? c : String(c));
    return e;
  }
  function esc(s) { return String(s).replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }
  function instr(s) {
    if (!s) return "(no history)";
    s = s.trim().replace(/^\/bin\/sh -c #\(nop\)\s*/, "");
    if (s.startsWith("/bin/sh -c ")) s = "RUN " + s.slice(11);
    return s.replace(/\s+/g, " ");
  }
  function layerColour(l, light) {
    if (l === null || l === undefined) return light ? "#d9d9d9" : "#c4c4c4";
    const h = (l * 137.508 + 205) % 360;
    return "hsl(" + h.toFixed(0) + "," + (light ? 62 : 48) + "%," + (light ? 80 : 68) + "%)";
  }
  function layerOf(i, rep) { return (rep || R).layers[i]; }
  function table(head, rows, numeric) {
    const t = el("table");
    t.append(el("tr", null, ...head.map((h, i) => el("th", { class: numeric[i] ? "n" : "" }, h))));
    for (const r of rows) {
      const tr = el("tr");
      r.forEach((c, i) => tr.append(el("td", { class: numeric[i] ? "n" : "" }, c)));
      t.append(tr);
    }
    return t;
  }
  function bars(rows, max, diverging) {
    const box = el("div", { class: "bars" });
    for (const [label, v, note] of rows) {
      const track = el("div", { class: "track" });
      const frac = max > 0 ? Math.min(1, Math.abs(v) / max) : 0;
      if (diverging) {
        track.append(el("div", { class: "axis" }));
        const w = frac * 50;
        track.append(el("div", { class: "fill " + (v > 0 ? "bad" : "good"), style: (v >= 0 ? "left:50%;" : "left:" + (50 - w) + "%;") + "width:" + w + "%" }));
      } else {
        track.append(el("div", { class: "fill bad", style: "left:0;width:" + (frac * 100) + "%" }));
      }
      box.append(el("div", { class: "row" }, el("div", null, label), track, el("div", { class: "mono", style: "text-align:right" }, note || (diverging ? sfmt(v) : fmt(v)))));
    }
    return box;
  }

  // ---- tree bookkeeping ------------------------------------------------------------
  function prep(n, parent, path) {
    n.parent = parent;
    n.path = path;
    for (const c of n.c || []) prep(c, n, c.k === "r" ? path : (path === "/" ? "/" : path + "/") + c.n);
  }
  prep(D.tree, null, "/");
  // Dead-weight marks: a node is marked when a finding or duplicate names it or an ancestor.
  const marks = new Map();
  function mark(path, why) {
    if (!path) return;
    path = "/" + path.replace(/^\/+/, "").replace(/\/+$/, "");
    if (!marks.has(path)) marks.set(path, []);
    marks.get(path).push(why);
  }
  for (const f of R.findings || []) for (const p of f.paths || []) mark(p, f);
  for (const g of R.duplicates || []) g.paths.slice(1).forEach(p => mark(p, { rule: "duplicate", category: "duplicate", message: "identical to " + g.paths[0], saving_bytes: g.size }));
  function whyDead(n) {
    if (n.k === "r") return [];
    const out = [];
    for (let p = n.path; ; p = p.slice(0, p.lastIndexOf("/")) || "/") {
      if (marks.has(p)) out.push(...marks.get(p));
      if (p === "/") break;
    }
    return out;
  }
  function holdsDead(n) {
    const pre = n.path === "/" ? "/" : n.path + "/";
    for (const p of marks.keys()) if (p === n.path || p.startsWith(pre)) return true;
    return false;
  }

  // ---- header ----------------------------------------------------------------------
  const T = R.totals;
  const B = D.before;
  const title = (R.image.ref || R.source.path || "image");
  app.append(el("h1", null, D.kind === "diff" ? "deadweight diff: " + (B.image.ref || B.source.path) + " → " + title : title));
  app.append(el("div", { class: "sub" }, [R.source.layout, R.image.os + "/" + R.image.arch + (R.image.variant ? "/" + R.image.variant : ""),
    "user " + (R.image.user || "root"), T.layers + " layers", T.visible_files.toLocaleString("en-US") + " files", R.image.id].join(" · ")));
  function card(label, v, note, bad) {
    return el("div", { class: "card" + (bad ? " bad" : "") }, el("b", null, v), el("span", null, label + (note ? " · " + note : "")));
  }
  const S = R.summary || { dead_weight_bytes: 0, by_category: {} };
  if (D.kind !== "diff") {
    app.append(el("div", { class: "cards" },
      card("stored (pull size)", fmt(T.blob_bytes)),
      card("content", fmt(T.content_bytes), "uncompressed"),
      card("visible", fmt(T.visible_bytes), "final filesystem"),
      card("hidden", fmt(T.hidden_bytes), pct(T.hidden_bytes, T.content_bytes) + " of content", T.hidden_bytes > 0),
      card("duplicate", fmt(T.duplicate_bytes), null, T.duplicate_bytes > 0),
      S.dead_weight_bytes > 0 ? card("dead weight", fmt(S.dead_weight_bytes), pct(S.dead_weight_bytes, T.content_bytes) + " of content", true) : null,
      card("dive efficiency", (100 * R.dive.efficiency).toFixed(2) + "%", "wasted " + fmt(R.dive.wasted_bytes))));
  } else {
    diffHeader();
  }

  // ---- treemap ---------------------------------------------------------------------
  let current = D.tree;
  let selectedLayer = null;
  const crumbs = el("div", { id: "crumbs" });
  const deadBox = el("input", { type: "checkbox", id: "showdead" });
  deadBox.checked = marks.size > 0;
  document.body.classList.toggle("showdead", deadBox.checked);
  deadBox.addEventListener("change", () => document.body.classList.toggle("showdead", deadBox.checked));
  // What a tile's area is: visible bytes ("s") or their pull cost ("t", stored bytes).
  let sizeKey = "s";
  const size = n => n[sizeKey] || 0;
  const storedBox = el("input", { type: "checkbox", id: "bystored" });
  storedBox.addEventListener("change", () => { sizeKey = storedBox.checked ? "t" : "s"; areaNote.textContent = areaText(); draw(); });
  const layerNote = el("span", { class: "note" });
  app.append(el("h2", null, D.kind === "diff" ? "Where the bytes are now (after), changes marked" : "Where the bytes are"));
  app.append(el("div", { class: "toolbar" }, crumbs, layerNote,
    el("label", { class: "note" }, deadBox, " highlight dead weight (" + marks.size + " paths)"),
    el("label", { class: "note" }, storedBox, " size by pull cost (stored bytes)")));
  const map = el("div", { id: "treemap" });
  app.append(map);
  const areaText = () => sizeKey === "t" ? "Area is the pull cost of the visible files (the compressed layer bytes that carried them)" : "Area is visible bytes";
  const areaNote = el("span", null, areaText());
  app.append(el("div", { class: "note" }, areaNote, "; colour is the layer that wrote the file (a directory: the layer that wrote most of it). Click a directory to zoom in, the path above to go back." +
    (D.folded[0] > 0 ? " " + D.folded[0].toLocaleString("en-US") + " entries smaller than " + fmt(D.threshold) + " (" + fmt(D.folded[1]) + " in all) are folded into one \"smaller entries\" tile per directory to keep this file small." : "") +
    (D.kind === "diff" ? (D.unmarked ? " " + D.unmarked : " ▲ grew, ▼ shrank, \"new\" not in the before image (compared path by path).") : "")));
  if (D.unmarked) app.append(el("p", { class: "warn" }, D.unmarked));

  function worst(row, sum, side) {
    let mx = 0, mn = Infinity;
    for (const r of row) { if (r.a > mx) mx = r.a; if (r.a < mn) mn = r.a; }
    const s2 = side * side, sum2 = sum * sum;
    return Math.max(s2 * mx / sum2, sum2 / (s2 * mn));
  }
  // Squarified treemap (Bruls, Huizing, van Wijk): rows along the short side, each row
  // grown while it improves the worst aspect ratio.
  function squarify(nodes, x, y, w, h) {
    const out = [];
    const sum0 = nodes.reduce((a, n) => a + size(n), 0);
    if (sum0 <= 0 || w <= 0 || h <= 0) return out;
    const scale = w * h / sum0;
    // Largest first, as squarify wants (children come sorted by bytes).
    const items = nodes.filter(n => size(n) > 0).map(n => ({ n, a: size(n) * scale })).sort((p, q) => q.a - p.a);
    let i = 0;
    while (i < items.length) {
      const side = Math.min(w, h);
      let row = [items[i]], sum = items[i].a, best = worst(row, sum, side), j = i + 1;
      while (j < items.length) {
        const r2 = row.concat(items[j]), s2 = sum + items[j].a, w2 = worst(r2, s2, side);
        if (w2 > best) break;
        row = r2; sum = s2; best = w2; j++;
      }
      if (w >= h) {
        const t = sum / h; let yy = y;
        for (const it of row) { const hh = it.a / t; out.push({ n: it.n, x, y: yy, w: t, h: hh }); yy += hh; }
        x += t; w -= t;
      } else {
        const t = sum / w; let xx = x;
        for (const it of row) { const ww = it.a / t; out.push({ n: it.n, x: xx, y, w: ww, h: t }); xx += ww; }
        y += t; h -= t;
      }
      i = j;
    }
    return out;
  }
  function tileLabel(n, w, h) {
    if (w < 28 || h < 14) return null;
    const name = n.k === "r" ? n.n : n.n + (n.k === "d" ? "/" : "");
    return el("div", { class: "lbl" }, name, w > 90 ? el("small", null, fmt(size(n))) : null);
  }
  function drawLevel(parent, node, x, y, w, h, depth) {
    for (const r of squarify(node.c || [], x, y, w, h)) {
      const n = r.n;
      const cls = ["tile", n.k === "d" ? "dir" : n.k === "r" ? "rest" : "file"];
      if (depth === 0) cls.push("top");
      if (n.k !== "r" && marks.size && (whyDead(n).length || (n.k === "d" && r.w * r.h < 900 && holdsDead(n)))) cls.push("dead");
      if (n.d !== undefined && n.d !== 0 && n.k !== "r") cls.push(n.new ? "new" : n.d > 0 ? "grow" : "shrink");
      const t = el("div", { class: cls.join(" "), style: "left:" + r.x + "px;top:" + r.y + "px;width:" + r.w + "px;height:" + r.h + "px;background-color:" + layerColour(n.l, n.k !== "d") });
      t.dataset.name = n.n;
      t.dataset.bytes = n.s;
      t.dataset.stored = n.t || 0;
      t.dataset.layer = n.l === null || n.l === undefined ? "" : n.l;
      t.dwNode = n;
      const lbl = tileLabel(n, r.w, r.h);
      if (lbl) t.append(lbl);
      parent.append(t);
      // Nest one level deeper while there is room for a header strip and children.
      if (n.k === "d" && depth < 3 && r.w > 36 && r.h > 36 && (n.c || []).length) {
        drawLevel(t, n, 2, 17, r.w - 6, r.h - 21, depth + 1);
      }
    }
  }
  function draw() {
    map.textContent = "";
    const w = map.clientWidth || 1200, h = map.clientHeight || 560;
    drawLevel(map, current, 0, 0, w, h, 0);
    crumbs.textContent = "";
    const chain = [];
    for (let n = current; n; n = n.parent) chain.unshift(n);
    chain.forEach((n, i) => {
      if (i) crumbs.append(el("span", { class: "crumbsep" }, "›"));
      crumbs.append(el("span", { class: "crumb", onclick: () => { current = n; draw(); } }, i ? n.n : "/"));
    });
    crumbs.append(el("span", { class: "note", style: "margin-left:10px" }, fmt(current.s) + " · " + pct(current.s, total) + " of visible bytes"));
    applyLayer();
  }
  map.addEventListener("click", e => {
    const t = e.target.closest(".tile.dir");
    if (t && t.dwNode && (t.dwNode.c || []).length) { current = t.dwNode; draw(); }
  });
  map.addEventListener("mousemove", e => {
    const t = e.target.closest(".tile");
    if (!t) { tip.hidden = true; return; }
    const n = t.dwNode;
    const L = n.l === null || n.l === undefined ? null : layerOf(n.l);
    let html = "<div class=p>" + esc(n.k === "r" ? n.path + (n.path === "/" ? "" : "/") + " (" + n.n + ")" : n.path) + "</div>" +
      "<div>" + fmt(n.s) + " · " + pct(n.s, total) + " of visible" + (n.k !== "f" ? " · " + n.f.toLocaleString("en-US") + " files" : "") + " · pull cost " + fmt(n.t || 0) + "</div>";
    if (L) html += "<div>layer " + n.l + (n.m ? " (most of it; other layers too)" : "") + ": <span class=m>" + esc(instr(L.created_by).slice(0, 160)) + "</span></div>";
    if (n.d !== undefined) html += "<div>" + (n.new ? "new in the after image" : "vs before: " + sfmt(n.d)) + "</div>";
    const why = whyDead(n);
    for (const f of why.slice(0, 4)) html += "<div class=f>⚠ " + esc(f.rule) + ": " + esc(f.message || f.category) + (f.saving_bytes ? " (save " + fmt(f.saving_bytes) + ")" : "") + "</div>";
    if (why.length > 4) html += "<div class=f>… " + (why.length - 4) + " more findings</div>";
    tip.innerHTML = html;
    tip.hidden = false;
    const x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = e.clientY + 16 + tip.offsetHeight > window.innerHeight ? e.clientY - tip.offsetHeight - 10 : e.clientY + 16;
    tip.style.left = x + "px"; tip.style.top = y + "px";
  });
  map.addEventListener("mouseleave", () => { tip.hidden = true; });
  window.addEventListener("resize", draw);

  // ---- layers ----------------------------------------------------------------------
  function applyLayer() {
    for (const t of map.querySelectorAll(".tile")) {
      const on = selectedLayer !== null && t.dataset.layer === String(selectedLayer);
      const mixedHere = selectedLayer !== null && t.dwNode.m && t.querySelector('.tile[data-layer="' + selectedLayer + '"]');
      t.classList.toggle("dim", selectedLayer !== null && !on && !mixedHere);
      t.classList.toggle("hl", on && t.classList.contains("top"));
    }
    for (const r of document.querySelectorAll("tr[data-layer]")) r.classList.toggle("sel", r.dataset.layer === String(selectedLayer));
    layerNote.textContent = selectedLayer === null ? "" : "showing layer " + selectedLayer + "'s files";
  }
  function selectLayer(i) { selectedLayer = selectedLayer === i ? null : i; applyLayer(); }
  app.append(el("h2", null, "Layers"));
  const lbar = el("div", { class: "layerbar" });
  const ctotal = R.layers.reduce((a, l) => a + l.content_bytes, 0);
  for (const l of R.layers) {
    if (!l.content_bytes) continue;
    const seg = el("div", { style: "flex:" + l.content_bytes + ";display:flex", title: "layer " + l.index + ": " + instr(l.created_by), onclick: () => selectLayer(l.index) });
    const vis = el("div", { style: "flex:" + Math.max(l.visible_bytes, 0) + ";background:" + layerColour(l.index, true) });
    const hid = el("div", { class: "hid", style: "flex:" + l.hidden_bytes + ";background-color:" + layerColour(l.index, true) });
    if (l.content_bytes / ctotal > 0.04) vis.append(el("span", null, "L" + l.index));
    seg.append(vis); if (l.hidden_bytes) seg.append(hid);
    lbar.append(seg);
  }
  app.append(lbar);
  app.append(el("div", { class: "note" }, "Width is each layer's content bytes; the hatched part is what later layers hid. Click a layer (here or in the table) to show its files in the treemap."));
  const lt = el("table");
  lt.append(el("tr", null, ...["#", "instruction", "stored", "content", "visible", "hidden", "+add ~chg -del"].map((h, i) => el("th", { class: i > 1 ? "n" : "" }, h))));
  for (const l of R.layers) {
    const tr = el("tr", { class: "click", "data-layer": l.index, onclick: () => selectLayer(l.index) },
      el("td", { class: "n" }, el("span", { class: "swatch", style: "background:" + layerColour(l.index, true) }), l.index + (l.base ? "ᵇ" : "")),
      el("td", { class: "mono" }, instr(l.created_by).slice(0, 140)),
      el("td", { class: "n" }, fmt(l.blob_bytes)), el("td", { class: "n" }, fmt(l.content_bytes)),
      el("td", { class: "n" }, fmt(l.visible_bytes)), el("td", { class: "n", style: l.hidden_bytes ? "color:var(--bad)" : "" }, fmt(l.hidden_bytes)),
      el("td", { class: "n" }, "+" + l.added + " ~" + l.changed + " -" + l.deleted));
    lt.append(tr);
  }
  app.append(lt);
  if (R.base && R.base.layers.length) app.append(el("div", { class: "note" }, "ᵇ base image layers (" + (R.base.guess ? "a guess: layer 0, as dive assumes" : R.base.name || R.base.source) + ")."));

  // ---- findings and packages --------------------------------------------------------
  if ((R.findings || []).length) {
    app.append(el("h2", null, "Findings: " + fmt(S.dead_weight_bytes) + " of dead weight"));
    const cats = Object.entries(S.by_category || {}).sort((a, b) => b[1] - a[1]);
    if (cats.length) app.append(bars(cats.map(([c, v]) => [c, v]), cats[0][1], false));
    app.append(table(["severity", "rule", "bytes", "saving", "layer", "paths", "fix"],
      R.findings.map(f => [el("span", { class: "sev-" + f.severity }, f.severity), el("span", null, el("b", null, f.rule), el("br"), f.message || ""),
        fmt(f.bytes), fmt(f.saving_bytes), f.layer === null || f.layer === undefined ? "" : "L" + f.layer,
        el("span", { class: "mono" }, (f.paths || []).slice(0, 3).join("\n")), el("span", { class: "mono" }, f.fix)]),
      [0, 0, 1, 1, 1, 0, 0]));
  }

  // ---- waste -------------------------------------------------------------------------
  app.append(el("h2", null, "Hidden bytes and duplicates"));
  const C = T.hidden_by_cause;
  const causes = [["overwritten (changed)", C.overwritten - C.same_content], ["overwritten, same content", C.same_content],
    ["deleted (whiteout)", C.deleted], ["deleted with its directory", C.deleted_with_dir], ["hidden by opaque dir", C.opaque],
    ["duplicate copies (visible)", T.duplicate_bytes]];
  app.append(bars(causes, Math.max(1, ...causes.map(c => c[1])), false));
  const g2 = el("div", { class: "grid2" });
  g2.append(el("div", null, el("h2", null, "Largest hidden files"),
    R.hidden_paths.length ? table(["path", "bytes", "cause", "written → hidden by"],
      R.hidden_paths.map(h => [el("span", { class: "mono" }, h.path), fmt(h.bytes), h.cause, "L" + h.written_by_layer + " → L" + h.hidden_by_layer]), [0, 1, 0, 0])
      : el("div", { class: "note" }, "Nothing hidden: every byte a layer ships is visible.")));
  g2.append(el("div", null, el("h2", null, "Duplicates"),
    R.duplicates.length ? table(["copies", "size", "wasted"],
      R.duplicates.map(d => [el("span", { class: "mono" }, d.paths.map((p, i) => p + " (L" + d.layers[i] + ")").join("\n")), fmt(d.size), fmt(d.wasted_bytes)]), [0, 1, 1])
      : el("div", { class: "note" }, "No content is stored twice.")));
  app.append(g2);
  const dv = R.dive;
  app.append(el("div", { class: "note", style: "margin-top:12px" }, "dive 0.13.1 would say: efficiency " + (100 * dv.efficiency).toFixed(4) + "%, wasted " + fmt(dv.wasted_bytes) +
    ", user wasted " + (dv.user_wasted_percent === null ? "n/a" : (100 * dv.user_wasted_percent).toFixed(2) + "%") + " (dive counts every copy of a path seen in several layers; the figures above count each byte once)."));

  if ((R.packages || []).length) {
    app.append(el("h2", null, "Heaviest packages"));
    app.append(table(["package", "manager", "version", "bytes", ""], R.packages.slice(0, 25).map(p => [p.name, p.manager, p.version, fmt(p.bytes), p.dev ? "dev only" : ""]), [0, 0, 0, 1, 0]));
  }
  app.append(el("footer", null, "Made by " + R.tool.name + " " + R.tool.version + " from " + R.source.path + ". Self-contained: this file loads nothing from the network."));

  // ---- diff ------------------------------------------------------------------------
  function diffHeader() {
    const A = R.totals, BT = B.totals, SA = S, SB = B.summary || { dead_weight_bytes: 0, by_category: {} };
    const rows = [["stored (pull size)", BT.blob_bytes, A.blob_bytes], ["content", BT.content_bytes, A.content_bytes],
      ["visible", BT.visible_bytes, A.visible_bytes], ["hidden", BT.hidden_bytes, A.hidden_bytes],
      ["duplicate", BT.duplicate_bytes, A.duplicate_bytes], ["dead weight", SB.dead_weight_bytes, SA.dead_weight_bytes]];
    const d = A.blob_bytes - BT.blob_bytes;
    app.append(el("div", { class: "cards" },
      card("before, stored", fmt(BT.blob_bytes)), card("after, stored", fmt(A.blob_bytes)),
      card("change", sfmt(d), pct(Math.abs(d), BT.blob_bytes), d > 0),
      card("visible change", sfmt(A.visible_bytes - BT.visible_bytes), null, A.visible_bytes > BT.visible_bytes)));
    app.append(table(["", "before", "after", "change"], rows.map(r => [r[0], fmt(r[1]), fmt(r[2]), sfmt(r[2] - r[1])]), [0, 1, 1, 1]));
    const cats = [["hidden: overwritten", BT.hidden_by_cause.overwritten, A.hidden_by_cause.overwritten],
      ["hidden: deleted", BT.hidden_by_cause.deleted, A.hidden_by_cause.deleted],
      ["hidden: with directory", BT.hidden_by_cause.deleted_with_dir, A.hidden_by_cause.deleted_with_dir],
      ["hidden: opaque", BT.hidden_by_cause.opaque, A.hidden_by_cause.opaque],
      ["duplicate", BT.duplicate_bytes, A.duplicate_bytes], ["visible", BT.visible_bytes, A.visible_bytes]];
    const names = new Set([...Object.keys(SB.by_category || {}), ...Object.keys(SA.by_category || {})]);
    for (const c of names) cats.push([c, (SB.by_category || {})[c] || 0, (SA.by_category || {})[c] || 0]);
    const deltas = cats.map(c => [c[0], c[2] - c[1]]);
    app.append(el("h2", null, "What changed, by category"));
    app.append(bars(deltas, Math.max(1, ...deltas.map(x => Math.abs(x[1]))), true));
  }

  draw();

  // ---- self-test (used by the end-to-end test: chromium --dump-dom file#selftest) ----
  if (location.hash === "#selftest") {
    const tops = () => [...map.querySelectorAll(".tile.top")];
    const res = { width: map.clientWidth, top: tops().map(t => ({ label: t.dataset.name, bytes: Number(t.dataset.bytes), dir: t.classList.contains("dir"), w: Math.round(t.offsetWidth), h: Math.round(t.offsetHeight) })) };
    const first = tops().find(t => t.classList.contains("dir"));
    if (first) {
      first.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      res.after_click = { crumbs: [...crumbs.querySelectorAll(".crumb")].map(c => c.textContent), top: tops().map(t => t.dataset.name) };
      [...crumbs.querySelectorAll(".crumb")][0].click();
      res.after_back = { crumbs: [...crumbs.querySelectorAll(".crumb")].map(c => c.textContent), top: tops().length };
    }
    res.layer_rows = document.querySelectorAll("tr[data-layer]").length;
    const row1 = document.querySelector('tr[data-layer="1"]');
    if (row1) {
      row1.click();
      res.layer_1 = { highlighted: [...map.querySelectorAll(".tile.top.hl")].map(t => t.dataset.name), dimmed_top: map.querySelectorAll(".tile.top.dim").length, note: layerNote.textContent };
      row1.click();
    }
    // Sized by pull cost: the top tiles, their stored bytes and areas, then back.
    storedBox.click();
    res.by_stored = { note: areaNote.textContent, top: tops().map(t => ({ label: t.dataset.name, stored: Number(t.dataset.stored), area: Math.round(t.offsetWidth * t.offsetHeight) })) };
    storedBox.click();
    res.marks = { grow: map.querySelectorAll(".tile.grow").length, shrink: map.querySelectorAll(".tile.shrink").length, new: map.querySelectorAll(".tile.new").length, dead: map.querySelectorAll(".tile.dead").length };
    document.body.append(el("pre", { id: "selftest" }, JSON.stringify(res)));
  }
})();
