// LogitCurve view: sorted-logit envelope on a canvas with a draggable window over logit values.
// Uses the helpers of _common.js (prepended by Python). The static layer (curve, axes, label
// rug) is drawn once per data/size change into an offscreen canvas; a drag event only blits
// it and draws the band plus the highlighted part of the curve, so redraws stay cheap.

const LC_MARGIN = { left: 52, right: 14, top: 10, bottom: 42 };
const LC_EDGE_PX = 6;
const LC_COMMIT_MS = 60;  // keyboard nudges only: a drag commits once, on pointer release

function lcFormat(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(3)}`;
}

function lcRender({ model, el, guard }) {
  const root = swEl("div", "sw-logit-curve");
  const info = swEl("div", "sw-lc-info");
  const canvas = swEl("canvas", "sw-lc-canvas");
  canvas.tabIndex = 0;
  canvas.setAttribute("aria-label", "Sorted logit curve; arrow keys move or resize the window");
  root.append(info, canvas);
  el.append(root);
  const ctx = canvas.getContext("2d");
  const layer = document.createElement("canvas");
  const s = { env: null, counts: null, ymin: -1, ymax: 1, width: 600, win: [...model.get("window")], approx: false, drag: null };

  const plot = () => ({
    x: LC_MARGIN.left, y: LC_MARGIN.top,
    w: Math.max(10, s.width - LC_MARGIN.left - LC_MARGIN.right),
    h: Math.max(10, model.get("height") - LC_MARGIN.top - LC_MARGIN.bottom),
  });
  const yPx = (v, p = plot()) => p.y + ((s.ymax - v) / (s.ymax - s.ymin)) * p.h;
  const yVal = (px, p = plot()) => s.ymax - ((px - p.y) / p.h) * (s.ymax - s.ymin);
  const step = () => 10 ** Math.floor(Math.log10((s.ymax - s.ymin) / 1000));
  const snap = (v) => { const q = step(); return +(Math.round(v / q) * q).toFixed(12); };

  function loadData() {
    s.env = swArray(model.get("envelope"));
    s.counts = swArray(model.get("label_counts"));
    let lo = Infinity, hi = -Infinity;
    const d = s.env ? s.env.data : [];
    for (let i = 0; i < d.length; i++) { if (d[i] < lo) lo = d[i]; if (d[i] > hi) hi = d[i]; }
    if (!(hi > lo)) { lo -= 1; hi += 1; }
    const pad = (hi - lo) * 0.05;
    s.ymin = lo - pad; s.ymax = hi + pad;
    canvas.dataset.ymin = s.ymin; canvas.dataset.ymax = s.ymax;
  }

  function tracePath(c, p) {
    const n = s.env.shape[0], d = s.env.data;
    c.beginPath();
    if (n === model.get("n_samples")) {  // one sample per column: a polyline through the samples
      for (let i = 0; i < n; i++) c[i ? "lineTo" : "moveTo"](p.x + ((i + 0.5) / n) * p.w, yPx(d[2 * i], p));
      return;
    }
    for (let i = 0; i < n; i++) {
      const x0 = p.x + (i / n) * p.w, x1 = p.x + ((i + 1) / n) * p.w;
      if (i === 0) c.moveTo(x0, yPx(d[0], p)); else c.lineTo(x0, yPx(d[2 * i], p));
      c.lineTo(x1, yPx(d[2 * i + 1], p));
    }
  }

  function drawStatic() {
    const dpr = window.devicePixelRatio || 1, H = model.get("height"), p = plot();
    for (const c of [canvas, layer]) { c.width = Math.round(s.width * dpr); c.height = Math.round(H * dpr); }
    canvas.style.width = `${s.width}px`; canvas.style.height = `${H}px`;
    Object.assign(canvas.dataset, { plotX: p.x, plotY: p.y, plotW: p.w, plotH: p.h });
    const c = layer.getContext("2d");
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    const fg = swCssVar(el, "--jp-ui-font-color1", "#1f2328"), muted = swCssVar(el, "--jp-ui-font-color2", "#59636e");
    const grid = swCssVar(el, "--jp-border-color2", "#e1e4e8");
    c.fillStyle = swCssVar(el, "--jp-layout-color1", "#ffffff"); c.fillRect(0, 0, s.width, H);
    c.font = "11px " + swCssVar(el, "--jp-ui-font-family", "system-ui, sans-serif");
    c.fillStyle = muted; c.strokeStyle = grid; c.lineWidth = 1; c.textAlign = "right"; c.textBaseline = "middle";
    for (const t of swNiceTicks(s.ymin, s.ymax, 6)) {
      const y = Math.round(yPx(t, p)) + 0.5;
      c.beginPath(); c.moveTo(p.x, y); c.lineTo(p.x + p.w, y); c.stroke();
      c.fillText(lcFormat(t), p.x - 6, y);
    }
    const n = model.get("n_samples");
    c.textAlign = "center"; c.textBaseline = "top";
    for (const t of swNiceTicks(0, n, Math.max(2, Math.floor(p.w / 90)))) c.fillText(lcFormat(t), p.x + (t / n) * p.w, p.y + p.h + 14);
    c.fillText("rank (sorted by logit)", p.x + p.w / 2, p.y + p.h + 28);
    c.save(); c.translate(12, p.y + p.h / 2); c.rotate(-Math.PI / 2); c.fillText(model.get("y_label"), 0, -6); c.restore();
    if (s.ymin < 0 && s.ymax > 0) {
      c.strokeStyle = muted; c.setLineDash([4, 3]);
      const y0 = Math.round(yPx(0, p)) + 0.5;
      c.beginPath(); c.moveTo(p.x, y0); c.lineTo(p.x + p.w, y0); c.stroke(); c.setLineDash([]);
    }
    const showPoints = s.counts && n <= 400 && s.env && s.env.shape[0] === n;
    if (s.counts && !showPoints) drawRug(c, p);
    if (!s.env) return;
    c.strokeStyle = fg; c.lineWidth = 1.5; c.lineJoin = "round";
    tracePath(c, p); c.stroke();
    if (showPoints) drawPoints(c, p);
  }

  function drawRug(c, p) {  // stacked class shares per pixel column, under the plot
    const [cols, k] = s.counts.shape, d = s.counts.data, y = p.y + p.h + 2, bins = Math.max(1, Math.floor(p.w));
    const sums = new Float64Array(bins * k);
    for (let i = 0; i < cols; i++) {
      const b = Math.min(bins - 1, Math.floor(((i + 0.5) / cols) * bins));
      for (let j = 0; j < k; j++) sums[b * k + j] += d[i * k + j];
    }
    for (let b = 0; b < bins; b++) {
      let total = 0, acc = 0;
      for (let j = 0; j < k; j++) total += sums[b * k + j];
      if (!total) continue;
      for (let j = 0; j < k; j++) {
        const share = sums[b * k + j] / total;
        c.fillStyle = swClassColor(j);
        c.fillRect(p.x + (b / bins) * p.w, y + acc * 8, p.w / bins + 0.5, share * 8); acc += share;
      }
    }
  }

  function drawPoints(c, p) {
    const [cols, k] = s.counts.shape, d = s.counts.data, e = s.env.data;
    for (let i = 0; i < cols; i++) {
      let j = 0; while (j < k - 1 && !d[i * k + j]) j++;
      c.fillStyle = swClassColor(j);
      c.beginPath(); c.arc(p.x + ((i + 0.5) / cols) * p.w, yPx(e[2 * i], p), 2.5, 0, 2 * Math.PI); c.fill();
    }
  }

  function redraw() {
    const dpr = window.devicePixelRatio || 1, p = plot(), accent = swCssVar(el, "--jp-brand-color1", "#1f6feb");
    ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.drawImage(layer, 0, 0); ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const [lo, hi] = s.win, top = Math.max(p.y, yPx(hi, p)), bottom = Math.min(p.y + p.h, yPx(lo, p));
    if (bottom >= top) {
      ctx.fillStyle = accent; ctx.globalAlpha = 0.14; ctx.fillRect(p.x, top, p.w, bottom - top); ctx.globalAlpha = 1;
      ctx.strokeStyle = accent; ctx.lineWidth = 2;
      for (const y of [yPx(hi, p), yPx(lo, p)]) {
        if (y < p.y || y > p.y + p.h) continue;
        ctx.beginPath(); ctx.moveTo(p.x, y); ctx.lineTo(p.x + p.w, y); ctx.stroke();
        ctx.fillRect(p.x + p.w - 26, y - 3, 20, 6);  // grip: this edge can be dragged
      }
      if (s.env) {
        ctx.save(); ctx.beginPath(); ctx.rect(p.x, top - 1, p.w, bottom - top + 2); ctx.clip();
        ctx.lineWidth = 3; tracePath(ctx, p); ctx.stroke(); ctx.restore();
      }
    }
    Object.assign(canvas.dataset, { lo: s.win[0], hi: s.win[1] });
    drawInfo();
  }

  function approxCount() {  // linear share of each overlapping column: exact count comes from Python
    if (!s.env) return 0;
    const n = model.get("n_samples"), cols = s.env.shape[0], d = s.env.data, [lo, hi] = s.win;
    let total = 0;
    for (let i = 0; i < cols; i++) {
      const size = Math.floor(((i + 1) * n) / cols) - Math.floor((i * n) / cols), a = d[2 * i], b = d[2 * i + 1];
      if (b < lo || a > hi) continue;
      total += b > a ? (size * (Math.min(b, hi) - Math.max(a, lo))) / (b - a) : size;
    }
    return Math.round(total);
  }

  function drawInfo() {
    const [lo, hi] = s.win;
    info.replaceChildren();
    const count = s.approx ? `≈ ${approxCount().toLocaleString()}` : model.get("count").toLocaleString();
    info.append(swEl("span", "sw-lc-count", `${count} of ${model.get("n_samples").toLocaleString()} samples`),
      swEl("span", "sw-lc-window", ` in [${lcFormat(lo)}, ${lcFormat(hi)}]`));
    const names = model.get("label_names"), counts = model.get("class_counts");
    if (!names.length || s.approx) return;
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    names.forEach((name, j) => {
      const item = swEl("span", "sw-lc-class");
      const dot = swEl("span", "sw-lc-dot"); dot.style.background = swClassColor(j);
      item.append(dot, `${name}: ${counts[j] ?? 0} (${Math.round((100 * (counts[j] ?? 0)) / total)}%)`);
      info.append(item);
    });
  }

  // The kernel recomputes the selection for every committed window (MIDExplorer: a whole
  // re-clustering), so a drag commits once at release; while the pointer is down only the
  // band and the approximate count update.
  const sameAsLocal = () => { const w = model.get("window"); return w[0] === s.win[0] && w[1] === s.win[1]; };
  const commitNow = () => {
    commit.cancel();
    if (sameAsLocal()) { s.approx = false; drawInfo(); return; }  // no change, so no reply will come
    model.set("window", [s.win[0], s.win[1]]); model.save_changes();
  };
  const commit = swDebounce(commitNow, LC_COMMIT_MS);
  const setWindow = (lo, hi) => {
    s.win = lo <= hi ? [snap(lo), snap(hi)] : [snap(hi), snap(lo)];
    s.approx = true; redraw();
    if (!s.drag) commit();
  };

  function hitTest(py) {
    const yHi = yPx(s.win[1]), yLo = yPx(s.win[0]);
    if (Math.abs(py - yHi) <= LC_EDGE_PX) return "hi";
    if (Math.abs(py - yLo) <= LC_EDGE_PX) return "lo";
    return py > yHi && py < yLo ? "move" : "draw";
  }
  const localY = (ev) => ev.clientY - canvas.getBoundingClientRect().top;

  const onDown = guard((ev) => {
    const p = plot(), x = ev.clientX - canvas.getBoundingClientRect().left, y = localY(ev);
    if (x < p.x || x > p.x + p.w || y < p.y || y > p.y + p.h) return;
    const mode = hitTest(y), v = yVal(y);
    s.drag = { mode, start: v, win: [...s.win] };
    if (mode === "draw") setWindow(v, v);
    canvas.setPointerCapture?.(ev.pointerId);
    canvas.focus(); ev.preventDefault();
  });
  const onMove = guard((ev) => {
    if (!s.drag) { canvas.style.cursor = { hi: "ns-resize", lo: "ns-resize", move: "grab", draw: "crosshair" }[hitTest(localY(ev))]; return; }
    const v = Math.min(s.ymax, Math.max(s.ymin, yVal(localY(ev)))), { mode, start, win } = s.drag;
    if (mode === "move") {
      const delta = Math.min(s.ymax - win[1], Math.max(s.ymin - win[0], v - start));
      setWindow(win[0] + delta, win[1] + delta);
    } else if (mode === "hi") setWindow(win[0], v);
    else if (mode === "lo") setWindow(v, win[1]);
    else setWindow(start, v);
  });
  const onUp = guard(() => { if (s.drag) { s.drag = null; commitNow(); } });
  const onKey = guard((ev) => {
    const d = (ev.shiftKey ? 10 : 1) * step() * 10, [lo, hi] = s.win;
    const moves = { ArrowUp: [d, d], ArrowDown: [-d, -d], ArrowRight: [-d, d], ArrowLeft: [d, -d] };
    if (!moves[ev.key]) return;
    ev.preventDefault();
    const [a, b] = moves[ev.key];
    if (lo + a > hi + b) return;  // narrowing stops at an empty-width window
    setWindow(lo + a, hi + b);
  });
  const onModelWindow = guard(() => {  // our own set echoes synchronously: ignore it
    if (sameAsLocal() || s.drag) return;
    s.win = [...model.get("window")]; s.approx = false; redraw();
  });
  const onExact = guard(() => { if (!s.drag && sameAsLocal()) { s.approx = false; drawInfo(); } });
  const onData = guard(() => { loadData(); drawStatic(); redraw(); });
  const resize = guard(() => { const w = Math.floor(el.getBoundingClientRect().width || 600); if (w !== s.width && w > 0) { s.width = w; drawStatic(); redraw(); } });

  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", onUp);
  canvas.addEventListener("keydown", onKey);
  model.on("change:window", onModelWindow);
  model.on("change:count", onExact);
  model.on("change:class_counts", onExact);
  for (const name of ["envelope", "label_counts", "height", "y_label"]) model.on(`change:${name}`, onData);
  const observer = new ResizeObserver(resize);
  observer.observe(el);
  s.width = Math.floor(el.getBoundingClientRect().width) || 600;
  onData();
  return () => {
    observer.disconnect(); commit.cancel();
    model.off("change:window", onModelWindow); model.off("change:count", onExact); model.off("change:class_counts", onExact);
    for (const name of ["envelope", "label_counts", "height", "y_label"]) model.off(`change:${name}`, onData);
  };
}

export default { render: swSafeRender(lcRender) };
