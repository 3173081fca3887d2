// LatentScatter view: pixel-plotted scatter with lasso/box selection, zoom/pan, recolouring
// dropdown, legend or colour bar, and hover thumbnails. Helpers: _common.js (sw*) and
// latent_scatter_draw.js (ls*), prepended by Python into this one module.

const LS_MARGIN = { left: 46, right: 10, top: 8, bottom: 34 };
const LS_HOVER_MS = 40;

function lsRender({ model, el, guard }) {
  const root = swEl("div", "sw-latent-scatter");
  const bar = swEl("div", "sw-ls-toolbar");
  const select = swEl("select", "sw-ls-color");
  select.setAttribute("aria-label", "Colour points by");
  const colorLabel = swEl("label", "sw-ls-label", "colour by ");
  colorLabel.append(select);
  const tools = {};
  for (const name of ["lasso", "box"]) {
    tools[name] = swEl("button", "sw-button sw-ls-tool", name);
    tools[name].dataset.tool = name;
  }
  const reset = swEl("button", "sw-button sw-ls-reset", "reset view");
  const clear = swEl("button", "sw-button sw-ls-clear", "clear selection");
  const count = swEl("span", "sw-ls-count");
  const note = swEl("div", "sw-ls-note");
  bar.append(colorLabel, tools.lasso, tools.box, reset, clear, count);
  const body = swEl("div", "sw-ls-body");
  const stage = swEl("div", "sw-ls-stage");
  const canvas = swEl("canvas", "sw-ls-canvas");
  const overlay = swEl("canvas", "sw-ls-overlay");
  overlay.tabIndex = 0;
  overlay.setAttribute("aria-label", "Scatter plot: drag to select, Shift+drag to pan, wheel to zoom, Esc clears");
  const tip = swEl("div", "sw-ls-tip");
  const tipImg = swEl("img", "sw-ls-tip-img");
  const tipText = swEl("div", "sw-ls-tip-text");
  tip.append(tipImg, tipText);
  stage.append(canvas, overlay, tip);
  const legend = swEl("div", "sw-ls-legend");
  body.append(stage, legend);
  root.append(bar, note, body);
  el.append(root);

  const s = { xs: null, ys: null, codes: null, mask: null, nSel: 0, home: null, view: null,
              width: 600, dpr: window.devicePixelRatio || 1, drag: null, pick: null, tipUrl: null };
  const ctx = canvas.getContext("2d");
  const octx = overlay.getContext("2d");
  const plot = () => ({ x: LS_MARGIN.left, y: LS_MARGIN.top, w: Math.max(10, s.width - LS_MARGIN.left - LS_MARGIN.right),
                        h: Math.max(10, model.get("height") - LS_MARGIN.top - LS_MARGIN.bottom) });
  const toData = (cx, cy) => {
    const p = plot(), v = s.view;
    return [v.x0 + ((cx - p.x) / p.w) * (v.x1 - v.x0), v.y1 - ((cy - p.y) / p.h) * (v.y1 - v.y0)];
  };
  const toCss = (x, y) => {
    const p = plot(), v = s.view;
    return [p.x + ((x - v.x0) / (v.x1 - v.x0)) * p.w, p.y + ((v.y1 - y) / (v.y1 - v.y0)) * p.h];
  };

  function loadCoords() {
    const c = swArray(model.get("coords"));
    const n = c ? c.shape[0] : 0;
    s.xs = new Float32Array(n); s.ys = new Float32Array(n);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = c.data[2 * i], y = c.data[2 * i + 1];
      s.xs[i] = x; s.ys[i] = y;
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
    const px = (x1 - x0) * 0.05, py = (y1 - y0) * 0.05;
    s.home = { x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
    s.view = { ...s.home };
    loadLasso();
  }
  function loadCodes() {
    const c = swArray(model.get("codes"));
    s.codes = c ? c.data : new Uint8Array(s.xs.length);
    root.dataset.colorBy = model.get("color_by");
    root.dataset.colorKind = model.get("color_kind");
  }
  function loadLasso() {
    const poly = model.get("lasso") || [];
    const bits = model.get("selected_bits");
    const hasBits = bits && bits.byteLength;
    if (model.get("subsampled")) {
      // Millions of points: Python computes the exact selection and sends the drawn points'
      // bitmask; until it arrives only the outline shows (no polygon test in the page).
      [s.mask, s.nSel] = hasBits && !s.awaitingBits ? lsUnpackBits(bits, s.xs.length) : [new Uint8Array(s.xs.length), 0];
    } else {
      // a polygon from the lasso, or a bitmask when the selection was set from Python
      [s.mask, s.nSel] = poly.length < 3 && hasBits ? lsUnpackBits(bits, s.xs.length) : lsInPolygon(s.xs, s.ys, poly);
    }
    root.dataset.nSelected = selectedCount();
  }
  const selectedCount = () => (model.get("subsampled") ? model.get("n_selected") : s.nSel);
  function onBits() { s.awaitingBits = false; loadLasso(); draw(); }
  function lsColors() {
    const rgb = lsPaletteRGB(model.get("color_kind"));
    const custom = model.get("color_kind") === "categorical" ? model.get("category_colors") || [] : [];
    custom.forEach((hex, k) => { rgb[k] = lsHex(hex); });
    return rgb;
  }
  function pointSize() {
    const size = model.get("point_size");
    if (size > 0) return size;
    const n = s.xs.length;
    return n <= 2000 ? 7 : n <= 20000 ? 4 : n <= 200000 ? 2 : 1;
  }

  function draw() {
    const p = plot(), dpr = s.dpr;
    // the visible data window and the plot box (CSS px inside the stage), for scripts reading the view
    root.dataset.view = [s.view.x0, s.view.x1, s.view.y0, s.view.y1].join(",");
    root.dataset.plot = [p.x, p.y, p.w, p.h].join(",");
    const w = Math.round(p.w * dpr), h = Math.round(p.h * dpr);
    const bg = lsParseColor(swCssVar(root, "--sw-bg", "#fff"));
    const rgb = lsColors();
    const colors = new Uint32Array(rgb.map((c) => lsPack(c)));
    const dim = new Uint32Array(rgb.map((c) => lsPack(lsMix(c, bg, 0.78))));
    const img = ctx.createImageData(w, h);
    const px = new Uint32Array(img.data.buffer);
    px.fill(lsPack(bg));
    s.pick = new Int32Array(w * h).fill(-1);
    const stamp = lsStamp(pointSize() * dpr);
    if (s.nSel > 0) {
      lsPlot(px, w, h, s.xs, s.ys, s.codes, s.mask, 0, dim, stamp, s.view, s.pick);
      lsPlot(px, w, h, s.xs, s.ys, s.codes, s.mask, 1, colors, stamp, s.view, s.pick);
    } else {
      lsPlot(px, w, h, s.xs, s.ys, s.codes, null, -1, colors, stamp, s.view, s.pick);
    }
    ctx.putImageData(img, Math.round(p.x * dpr), Math.round(p.y * dpr));
    s.pickW = w; s.pickH = h;
    drawOverlay();
  }

  function drawAxes(g, p) {
    const fg = swCssVar(root, "--sw-fg-muted", "#59636e");
    g.strokeStyle = swCssVar(root, "--sw-border", "#d0d7de");
    g.strokeRect(p.x - 0.5, p.y - 0.5, p.w + 1, p.h + 1);
    g.fillStyle = fg; g.font = "11px sans-serif";
    g.textAlign = "center"; g.textBaseline = "top";
    for (const t of swNiceTicks(s.view.x0, s.view.x1, 6)) { const [cx] = toCss(t, 0); g.fillText(lsFormat(t), cx, p.y + p.h + 4); }
    g.textAlign = "right"; g.textBaseline = "middle";
    for (const t of swNiceTicks(s.view.y0, s.view.y1, 5)) { const [, cy] = toCss(0, t); g.fillText(lsFormat(t), p.x - 4, cy); }
    const [xl, yl] = model.get("axis_labels");
    g.textAlign = "center"; g.textBaseline = "bottom";
    g.fillText(xl || "", p.x + p.w / 2, p.y + p.h + 33);
    g.save(); g.translate(10, p.y + p.h / 2); g.rotate(-Math.PI / 2); g.textBaseline = "middle"; g.fillText(yl || "", 0, 0); g.restore();
  }

  function drawOverlay() {
    const p = plot(), dpr = s.dpr;
    octx.setTransform(dpr, 0, 0, dpr, 0, 0);
    octx.clearRect(0, 0, s.width, model.get("height"));
    drawAxes(octx, p);
    const poly = s.drag && s.drag.kind === "select" ? s.drag.poly : model.get("lasso");
    if (poly && poly.length >= 2) {
      octx.save();
      octx.beginPath(); octx.rect(p.x, p.y, p.w, p.h); octx.clip();
      octx.beginPath();
      poly.forEach(([x, y], i) => { const [cx, cy] = toCss(x, y); if (i) octx.lineTo(cx, cy); else octx.moveTo(cx, cy); });
      octx.closePath();
      octx.fillStyle = "rgba(31, 111, 235, 0.08)"; octx.fill();
      octx.setLineDash([4, 3]); octx.strokeStyle = swCssVar(root, "--sw-accent", "#1f6feb"); octx.lineWidth = 1.5; octx.stroke();
      octx.restore();
    }
    const total = model.get("n_total") || s.xs.length;
    count.textContent = `${selectedCount().toLocaleString()} of ${total.toLocaleString()} selected`;
    note.textContent = model.get("subsampled")
      ? `showing ${s.xs.length.toLocaleString()} of ${total.toLocaleString()} points (density-aware subsample: dense regions thinned); selections are exact over all points`
      : "";
    for (const [name, b] of Object.entries(tools)) b.classList.toggle("sw-active", model.get("tool") === name);
  }

  function drawLegend() {
    lsLegend(legend, model, lsColors());
    select.replaceChildren(...model.get("colorings").map((n) => { const o = swEl("option", "", n); o.value = n; return o; }));
    select.value = model.get("color_by");
  }

  function resize() {
    s.width = Math.max(200, stage.clientWidth || 600);
    const h = model.get("height");
    for (const c of [canvas, overlay]) {
      c.width = Math.round(s.width * s.dpr); c.height = Math.round(h * s.dpr);
      c.style.width = `${s.width}px`; c.style.height = `${h}px`;
    }
    stage.style.height = `${h}px`;
    draw();
  }

  // --- gestures -------------------------------------------------------------------------
  const local = (e) => { const r = overlay.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  const sendHover = swDebounce((i) => { model.set("hover", i); model.save_changes(); }, LS_HOVER_MS);
  function commitLasso(poly) {
    if (model.get("subsampled")) s.awaitingBits = poly.length >= 3;
    model.set("lasso", poly);
    model.save_changes();
  }
  function pickAt(cx, cy) {
    const p = plot(), dpr = s.dpr, r = Math.ceil(4 * dpr);
    const ix = Math.round((cx - p.x) * dpr), iy = Math.round((cy - p.y) * dpr);
    let best = -1, bestD = Infinity;
    for (let y = Math.max(0, iy - r); y <= Math.min(s.pickH - 1, iy + r); y++) {
      for (let x = Math.max(0, ix - r); x <= Math.min(s.pickW - 1, ix + r); x++) {
        const i = s.pick[y * s.pickW + x];
        const d = (x - ix) ** 2 + (y - iy) ** 2;
        if (i >= 0 && d < bestD) { best = i; bestD = d; }
      }
    }
    return best;
  }
  const onDown = guard((e) => {
    if (e.button !== 0 && e.button !== 1) return;
    overlay.setPointerCapture?.(e.pointerId);
    const [cx, cy] = local(e);
    hideTip();
    if (e.shiftKey || e.button === 1) s.drag = { kind: "pan", cx, cy, view: { ...s.view } };
    else s.drag = { kind: "select", start: toData(cx, cy), poly: [toData(cx, cy)], last: [cx, cy], moved: 0 };
  });
  const onMove = guard((e) => {
    const [cx, cy] = local(e);
    const d = s.drag;
    if (!d) { hover(cx, cy, e); return; }
    if (d.kind === "pan") {
      const v = d.view, p = plot();
      const dx = ((cx - d.cx) / p.w) * (v.x1 - v.x0), dy = ((cy - d.cy) / p.h) * (v.y1 - v.y0);
      s.view = { x0: v.x0 - dx, x1: v.x1 - dx, y0: v.y0 + dy, y1: v.y1 + dy };
      draw();
      return;
    }
    d.moved = Math.max(d.moved, Math.hypot(cx - d.last[0], cy - d.last[1]));
    const here = toData(cx, cy);
    if (model.get("tool") === "box") {
      const [x0, y0] = d.start;
      d.poly = [[x0, y0], [here[0], y0], here, [x0, here[1]]];
    } else if (Math.hypot(cx - d.last[0], cy - d.last[1]) >= 3) {
      d.poly.push(here); d.last = [cx, cy];
    }
    drawOverlay();
  });
  const onUp = guard(() => {
    const d = s.drag;
    s.drag = null;
    if (!d || d.kind !== "select") return;
    const poly = d.moved < 3 || d.poly.length < 3 ? [] : d.poly;  // a click clears the selection
    commitLasso(poly);
  });
  const onWheel = guard((e) => {
    e.preventDefault();
    const [cx, cy] = local(e);
    const [x, y] = toData(cx, cy);
    const f = Math.exp(Math.max(-1, Math.min(1, e.deltaY / 300)));
    const v = s.view;
    s.view = { x0: x + (v.x0 - x) * f, x1: x + (v.x1 - x) * f, y0: y + (v.y0 - y) * f, y1: y + (v.y1 - y) * f };
    draw();
  });
  function hover(cx, cy, e) {
    const i = s.pick ? pickAt(cx, cy) : -1;
    if (i !== (s.hoverIndex ?? -1)) { s.hoverIndex = i; sendHover(i); }
    if (i < 0) { hideTip(); return; }
    tip.style.display = "block";
    tip.style.left = `${Math.min(cx + 14, s.width - 150)}px`;
    tip.style.top = `${Math.max(0, cy - 20)}px`;
    root.dataset.hover = i;
  }
  function hideTip() { tip.style.display = "none"; }
  function showTipContent() {
    const bytes = model.get("hover_image");
    if (s.tipUrl) URL.revokeObjectURL(s.tipUrl);
    s.tipUrl = bytes && bytes.byteLength ? swImageUrl(bytes) : null;
    tipImg.style.display = s.tipUrl ? "block" : "none";
    if (s.tipUrl) tipImg.src = s.tipUrl;
    tipText.textContent = model.get("hover_text");
  }
  function clearSelection() {
    if (model.get("subsampled")) s.awaitingBits = true;
    model.set("lasso", []);
    model.set("clear_request", model.get("clear_request") + 1);  // Python also drops a selection set from code
    model.save_changes();
  }
  const onKey = guard((e) => { if (e.key === "Escape") clearSelection(); });

  overlay.addEventListener("pointerdown", onDown);
  overlay.addEventListener("pointermove", onMove);
  overlay.addEventListener("pointerup", onUp);
  overlay.addEventListener("pointerleave", () => { if (!s.drag) { hideTip(); s.hoverIndex = -1; sendHover(-1); } });
  overlay.addEventListener("wheel", onWheel, { passive: false });
  overlay.addEventListener("dblclick", guard(() => { s.view = { ...s.home }; draw(); }));
  overlay.addEventListener("keydown", onKey);
  select.addEventListener("change", guard(() => { model.set("color_by", select.value); model.save_changes(); }));
  for (const [name, b] of Object.entries(tools)) b.addEventListener("click", guard(() => { model.set("tool", name); model.save_changes(); drawOverlay(); }));
  reset.addEventListener("click", guard(() => { s.view = { ...s.home }; draw(); }));
  clear.addEventListener("click", guard(clearSelection));

  const handlers = {
    "change:coords": guard(() => { loadCoords(); draw(); }),
    "change:codes": guard(() => { loadCodes(); drawLegend(); draw(); }),
    "change:color_kind": guard(() => { loadCodes(); drawLegend(); draw(); }),
    "change:color_labels": guard(drawLegend),
    "change:color_range": guard(drawLegend),
    "change:category_colors": guard(() => { drawLegend(); draw(); }),
    "change:colorings": guard(drawLegend),
    "change:lasso": guard(() => { loadLasso(); draw(); }),
    "change:selected_bits": guard(onBits),
    "change:n_selected": guard(() => { root.dataset.nSelected = selectedCount(); drawOverlay(); }),
    "change:hover_image": guard(showTipContent),
    "change:hover_text": guard(showTipContent),
    "change:tool": guard(drawOverlay),
    "change:height": guard(resize),
    "change:point_size": guard(draw),
  };
  for (const [event, fn] of Object.entries(handlers)) model.on(event, fn);
  const observer = new ResizeObserver(guard(() => { if (Math.abs((stage.clientWidth || 600) - s.width) > 1) resize(); }));
  observer.observe(stage);
  loadCoords(); loadCodes(); drawLegend(); showTipContent(); hideTip(); resize();
  return () => {
    observer.disconnect();
    sendHover.cancel();
    for (const [event, fn] of Object.entries(handlers)) model.off(event, fn);
    if (s.tipUrl) URL.revokeObjectURL(s.tipUrl);
    root.remove();
  };
}

export default { render: swSafeRender(lsRender) };
