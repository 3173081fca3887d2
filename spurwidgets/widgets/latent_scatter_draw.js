// LatentScatter drawing and legend helpers (plain functions; Python concatenates this file with
// _common.js and latent_scatter.js into one ES module). Points are plotted straight into an
// ImageData pixel buffer: one 32-bit write per pixel of a small disc stamp, which keeps a
// full redraw of 1M points within a frame budget, no WebGL needed.

// viridis, 9 stops
const LS_VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];

function lsParseColor(css) {
  const c = document.createElement("canvas");
  c.width = c.height = 1;
  const g = c.getContext("2d");
  g.fillStyle = "#000";
  g.fillStyle = css;
  g.fillRect(0, 0, 1, 1);
  const d = g.getImageData(0, 0, 1, 1).data;
  return [d[0], d[1], d[2]];
}

// little-endian RGBA packed for a Uint32Array view of ImageData
function lsPack([r, g, b], a = 255) { return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0; }

function lsMix(a, b, t) { return a.map((v, i) => Math.round(v * (1 - t) + b[i] * t)); }

// 256 colours for codes 0..255: categorical cycles the 10-colour scheme, continuous is viridis.
function lsPaletteRGB(kind) {
  const out = [];
  if (kind === "continuous") {
    const stops = LS_VIRIDIS.map(lsHex);
    for (let i = 0; i < 256; i++) {
      const t = (i / 255) * (stops.length - 1);
      const k = Math.min(stops.length - 2, Math.floor(t));
      out.push(lsMix(stops[k], stops[k + 1], t - k));
    }
  } else {
    for (let i = 0; i < 256; i++) out.push(lsHex(swClassColor(i)));
  }
  return out;
}

function lsHex(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }

function lsRgbCss([r, g, b]) { return `rgb(${r}, ${g}, ${b})`; }

// Offsets (dx, dy) of the pixels of a disc of the given diameter (device pixels).
function lsStamp(diameter) {
  const d = Math.max(1, Math.round(diameter));
  const r = d / 2;
  const out = [];
  for (let y = 0; y < d; y++) {
    for (let x = 0; x < d; x++) {
      const cx = x + 0.5 - r, cy = y + 0.5 - r;
      if (d <= 2 || cx * cx + cy * cy <= r * r) out.push([x - Math.floor(r), y - Math.floor(r)]);
    }
  }
  return out;
}

// Plot points with codes into pixels (Uint32Array w*h). `which`: 0 = unselected only,
// 1 = selected only, -1 = all. `pick` (Int32Array w*h) records the point at each centre pixel.
function lsPlot(px, w, h, xs, ys, codes, mask, which, colors, stamp, view, pick) {
  const sx = w / (view.x1 - view.x0), sy = h / (view.y1 - view.y0);
  const x0 = view.x0, y1 = view.y1, n = xs.length, ns = stamp.length;
  const dxs = new Int32Array(stamp.map((s) => s[0])), dys = new Int32Array(stamp.map((s) => s[1]));
  let lo = 0, hi = 0;
  for (let k = 0; k < ns; k++) { lo = Math.min(lo, dxs[k], dys[k]); hi = Math.max(hi, dxs[k], dys[k]); }
  for (let i = 0; i < n; i++) {
    if (which >= 0 && (mask ? mask[i] : 0) !== which) continue;
    const ix = Math.floor((xs[i] - x0) * sx), iy = Math.floor((y1 - ys[i]) * sy);
    if (ix + hi < 0 || iy + hi < 0 || ix + lo >= w || iy + lo >= h) continue;
    const color = colors[codes[i]];
    if (ix + lo >= 0 && iy + lo >= 0 && ix + hi < w && iy + hi < h) {
      for (let k = 0; k < ns; k++) px[(iy + dys[k]) * w + ix + dxs[k]] = color;
    } else {
      for (let k = 0; k < ns; k++) {
        const x = ix + dxs[k], y = iy + dys[k];
        if (x >= 0 && y >= 0 && x < w && y < h) px[y * w + x] = color;
      }
    }
    if (pick && ix >= 0 && iy >= 0 && ix < w && iy < h) pick[iy * w + ix] = i;
  }
}

// Even-odd crossing test, the same arithmetic as compute/projection.points_in_polygon.
// Returns [mask Uint8Array(n), count].
function lsInPolygon(xs, ys, poly) {
  const n = xs.length;
  const mask = new Uint8Array(n);
  if (!poly || poly.length < 3) return [mask, 0];
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [x, y] of poly) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  let count = 0;
  const m = poly.length;
  for (let i = 0; i < n; i++) {
    const x = xs[i], y = ys[i];
    if (x < x0 || x > x1 || y < y0 || y > y1) continue;
    let inside = false;
    let [xj, yj] = poly[m - 1];
    for (let k = 0; k < m; k++) {
      const [xi, yi] = poly[k];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      xj = xi; yj = yi;
    }
    if (inside) { mask[i] = 1; count++; }
  }
  return [mask, count];
}

// A selection set from Python arrives as np.packbits(mask, bitorder="little"): bit i of byte
// i >> 3 is point i. Returns [mask Uint8Array(n), count] like lsInPolygon.
function lsUnpackBits(bits, n) {
  const b = new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
  const mask = new Uint8Array(n);
  let count = 0;
  for (let i = 0; i < n && i >> 3 < b.length; i++) { mask[i] = (b[i >> 3] >> (i & 7)) & 1; count += mask[i]; }
  return [mask, count];
}

function lsFormat(v) {
  const a = Math.abs(v);
  if (a >= 1e4 || (a > 0 && a < 1e-3)) return v.toExponential(1);
  return `${+v.toFixed(3)}`;
}

// Legend of the active colouring: a viridis colour bar (continuous) or swatches (categories).
function lsLegend(legend, model, rgb) {
  legend.replaceChildren(swEl("div", "sw-ls-legend-title", model.get("color_by")));
  if (model.get("color_kind") === "continuous") {
    const [lo, hi] = model.get("color_range");
    const ramp = swEl("div", "sw-ls-ramp");
    ramp.style.background = `linear-gradient(to top, ${LS_VIRIDIS.join(", ")})`;
    const labels = swEl("div", "sw-ls-ramp-labels");
    labels.append(swEl("span", "", lsFormat(hi)), swEl("span", "", lsFormat((lo + hi) / 2)), swEl("span", "", lsFormat(lo)));
    const wrap = swEl("div", "sw-ls-rampwrap");
    wrap.append(ramp, labels);
    legend.append(wrap);
    return;
  }
  model.get("color_labels").slice(0, 24).forEach((name, k) => {
    const item = swEl("div", "sw-ls-item");
    const swatch = swEl("span", "sw-ls-swatch");
    swatch.style.background = lsRgbCss(rgb[k]);
    item.append(swatch, swEl("span", "", name));
    legend.append(item);
  });
}
