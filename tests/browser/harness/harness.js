// Fast-tier test page: loads a widget's real ESM (the Python widget's `_esm`) and renders it
// with a mock anywidget `model` built from the Python widget's real state (binary buffers
// included, as DataViews like in JupyterLab). Tests read back what the widget saved/sent.

function b64ToDataView(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new DataView(bytes.buffer);
}

// Put binary buffers back at their paths (inverse of ipywidgets' _remove_buffers).
function putBuffers(state, paths, buffers) {
  paths.forEach((path, i) => {
    let obj = state;
    for (const key of path.slice(0, -1)) obj = obj[key];
    obj[path[path.length - 1]] = b64ToDataView(buffers[i]);
  });
  return state;
}

// JSON-able copy of a value, DataViews described by their size (for read-back).
function plain(value) {
  return JSON.parse(JSON.stringify(value, (k, v) => (v instanceof DataView ? { byteLength: v.byteLength } : v)));
}

class MockModel {
  constructor(state) {
    this.state = state;
    this.listeners = new Map();
    this.dirty = {};
    this.saved = [];   // one entry per save_changes(): {name: value}
    this.sent = [];    // contents passed to send()
    this.setLog = [];  // every set(name, value) in order
  }
  get(name) { return this.state[name]; }
  set(name, value) {
    const changed = JSON.stringify(plain(this.state[name])) !== JSON.stringify(plain(value)) || value instanceof DataView;
    this.state[name] = value;
    this.dirty[name] = value;
    this.setLog.push([name, plain(value)]);
    if (changed) this.emit(`change:${name}`, this, value);
  }
  save_changes() { this.saved.push(plain(this.dirty)); this.dirty = {}; }
  send(content, callbacks, buffers) { this.sent.push(plain(content)); }
  on(event, callback) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(callback);
  }
  off(event, callback) {
    if (!event) { this.listeners.clear(); return; }
    if (!callback) { this.listeners.delete(event); return; }
    this.listeners.get(event)?.delete(callback);
  }
  emit(event, ...args) { for (const cb of [...(this.listeners.get(event) || [])]) cb(...args); }
  listenerCount(event) { return this.listeners.get(event)?.size || 0; }
}

const params = new URLSearchParams(location.search);
const id = params.get("id");
if (params.get("theme") === "dark") document.body.classList.add("dark");
if (params.get("width")) document.documentElement.style.setProperty("--harness-width", `${params.get("width")}px`);

const spec = await (await fetch(`/w/${id}/state.json`)).json();
const state = putBuffers(spec.state, spec.buffer_paths, spec.buffers);
const style = document.createElement("style");
style.textContent = state._css || "";
document.head.append(style);
const model = new MockModel(state);
const mod = await import(`/w/${id}/widget.js`);
const widget = mod.default ?? mod;
const el = document.getElementById("widget");
if (widget.initialize) await widget.initialize({ model });
window.__cleanup = await widget.render({ model, el });
window.__model = model;
// Python -> JS updates from the test: encoded like state.json.
window.__push = (update) => {
  const values = putBuffers(update.state, update.buffer_paths, update.buffers);
  for (const [name, value] of Object.entries(values)) {
    model.state[name] = value;
    model.emit(`change:${name}`, model, value);
  }
};
window.__custom = (content, buffers = []) => model.emit("msg:custom", content, buffers.map(b64ToDataView));
window.__ready = true;
