// Helpers shared by every spurwidgets widget. This file has no exports: the Python side
// (`_base.esm_source`) prepends it to each widget's own file, so these are plain top-level
// functions of that widget's single ES module. No bundler, no CDN. The module starts with
// `const SW_PALETTE = [...]`, written by Python from `_base.CLASS_PALETTE` (the one categorical
// palette of every widget); use `swClassColor(i)`.

const SW_TYPED = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
};

// A `{dtype, shape, buffer}` trait as a typed array. The buffer arrives as a DataView
// (or ArrayBuffer); copy when its offset is not aligned for the element type.
function swArray(obj) {
  if (!obj || !obj.buffer) return null;
  const Typed = SW_TYPED[obj.dtype];
  if (!Typed) throw new Error(`unsupported dtype ${obj.dtype}`);
  let buf = obj.buffer;
  let offset = 0;
  let length = buf.byteLength;
  if (ArrayBuffer.isView(buf)) { offset = buf.byteOffset; buf = buf.buffer; }
  if (offset % Typed.BYTES_PER_ELEMENT !== 0) {
    buf = buf.slice(offset, offset + length);
    offset = 0;
  }
  const data = new Typed(buf, offset, length / Typed.BYTES_PER_ELEMENT);
  return { data, shape: obj.shape };
}

// Colour of class/cluster `i` (the palette cycles).
function swClassColor(i) { return SW_PALETTE[i % SW_PALETTE.length]; }

// About `count` round axis ticks (steps 1, 2, 2.5, 5 x 10^k) covering [lo, hi].
function swNiceTicks(lo, hi, count) {
  const span = hi - lo || 1;
  const mag = 10 ** Math.floor(Math.log10(span / count));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) || 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

// Bytes (DataView/ArrayBuffer/Uint8Array) -> object URL of an image; caller revokes.
function swImageUrl(bytes, mime = "image/png") {
  const view = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
  return URL.createObjectURL(new Blob([view], { type: mime }));
}

// A theme colour: the JupyterLab CSS variable when defined, else the fallback.
function swCssVar(el, name, fallback) {
  const value = getComputedStyle(el).getPropertyValue(name).trim();
  return value || fallback;
}

function swDebounce(fn, ms) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
  debounced.flush = (...args) => { clearTimeout(timer); timer = null; fn(...args); };
  debounced.cancel = () => { clearTimeout(timer); timer = null; };
  return debounced;
}

// Coalesce several synchronous change events (one comm message sets many traits) into one call.
function swBatch(fn) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    queueMicrotask(() => { pending = false; fn(); });
  };
}

// An <img> showing PNG bytes; its object URL is released once the browser has decoded it.
function swImage(bytes, className, size) {
  const img = swEl("img", className);
  const url = swImageUrl(bytes);
  const release = () => URL.revokeObjectURL(url);
  img.addEventListener("load", release, { once: true });
  img.addEventListener("error", release, { once: true });
  img.src = url;
  if (size) { img.width = size; img.height = size; }
  return img;
}

function swEl(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Red banner showing the `error` trait (Python callback errors) and JS errors.
function swErrorBanner(model, el) {
  const banner = swEl("div", "sw-error");
  banner.setAttribute("role", "alert");
  let jsError = "";
  const update = () => {
    const text = [model.get("error") || "", jsError].filter(Boolean).join("\n");
    banner.textContent = text;
    banner.style.display = text ? "block" : "none";
  };
  model.on("change:error", update);
  el.prepend(banner);
  update();
  return {
    showJsError(err) {
      jsError = `Error in the browser: ${err && err.message ? err.message : err}`;
      console.error(err);
      try { model.send({ kind: "js-error", message: String(err && err.stack ? err.stack : err) }); } catch (_) { /* no comm */ }
      update();
    },
    dispose() { model.off("change:error", update); banner.remove(); },
  };
}

// Run a widget's render so that a thrown error is shown in the widget, not only the console.
function swSafeRender(renderFn) {
  return ({ model, el }) => {
    el.classList.add("sw-root");
    const banner = swErrorBanner(model, el);
    const guard = (fn) => (...args) => {
      try { return fn(...args); } catch (err) { banner.showJsError(err); return undefined; }
    };
    let cleanup;
    try {
      cleanup = renderFn({ model, el, guard });
    } catch (err) {
      banner.showJsError(err);
    }
    return () => {
      banner.dispose();
      if (typeof cleanup === "function") cleanup();
    };
  };
}
