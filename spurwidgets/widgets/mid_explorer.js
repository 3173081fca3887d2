// MIDExplorer: LogitCurve + ClusterGallery (embedded, see mid_explorer_children.py) + a
// "Refit head" button with progress + a before/after accuracy table.

// Plain-data equality for trait values; binary views compare by bytes.
function meSame(a, b) {
  if (a === b) return true;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => meSame(a[k], b[k]));
  }
  return false;
}

// A model for an embedded child: reads/writes the parent's `_<key>_state` Dict.
function meChildModel(parent, key) {
  const trait = `_${key}_state`;
  const listeners = new Map();
  let local = { ...(parent.get(trait) || {}) };
  let pending = {};
  let seq = 0;
  const view = Math.random().toString(36).slice(2);
  const emit = (event, ...args) => { for (const cb of [...(listeners.get(event) || [])]) cb(...args); };
  const proxy = {
    get: (name) => local[name],
    set(name, value) {
      const changed = !meSame(local[name], value);
      local[name] = value;
      pending[name] = value;
      if (changed) emit(`change:${name}`, proxy, value);
    },
    save_changes() {
      if (!Object.keys(pending).length) return;
      seq += 1;
      // `view` + `seq` make every message distinct, so Backbone never drops one as "unchanged"
      // (two views of the same explorer each count from 1).
      parent.set("_child_changes", { child: key, view, seq, state: pending });
      pending = {};
      parent.save_changes();
    },
    send: (content, callbacks, buffers) => parent.send({ kind: "child", child: key, content }, callbacks, buffers),
    on(event, cb) { if (!listeners.has(event)) listeners.set(event, new Set()); listeners.get(event).add(cb); },
    off(event, cb) {
      if (!event) listeners.clear();
      else if (!cb) listeners.delete(event);
      else listeners.get(event)?.delete(cb);
    },
    widget_manager: parent.widget_manager,
  };
  const onParentState = () => {  // like Backbone: set every changed value, then fire the events
    const next = parent.get(trait) || {};
    const changed = Object.keys(next).filter((name) => !meSame(local[name], next[name]));
    for (const name of changed) local[name] = next[name];
    for (const name of changed) emit(`change:${name}`, proxy, next[name]);
  };
  const onCustom = (msg, buffers) => {
    if (msg && msg.kind === "child" && msg.child === key) emit("msg:custom", msg.content, buffers);
  };
  parent.on(`change:${trait}`, onParentState);
  parent.on("msg:custom", onCustom);
  proxy.dispose = () => { parent.off(`change:${trait}`, onParentState); parent.off("msg:custom", onCustom); listeners.clear(); };
  return proxy;
}

async function meRenderChild(model, key, container) {
  const style = swEl("style");
  style.textContent = model.get(`_${key}_css`) || "";
  container.append(style);
  const url = URL.createObjectURL(new Blob([model.get(`_${key}_esm`)], { type: "text/javascript" }));
  try {
    const mod = await import(url);
    const widget = mod.default ?? mod;
    const child = meChildModel(model, key);
    const host = swEl("div", `sw-me-${key}`);
    container.append(host);
    if (widget.initialize) await widget.initialize({ model: child });
    const cleanup = await widget.render({ model: child, el: host });
    return () => { if (typeof cleanup === "function") cleanup(); child.dispose(); };
  } finally {
    URL.revokeObjectURL(url);
  }
}

function meTable(model, tableEl) {
  const spec = model.get("table") || {};
  tableEl.replaceChildren();
  if (!spec.rows || !spec.rows.length) {
    tableEl.append(swEl("caption", "sw-me-caption", "Press “Refit head” to compare the model before and after."));
    return;
  }
  tableEl.append(swEl("caption", "sw-me-caption", spec.caption || ""));
  const head = swEl("tr");
  for (const col of spec.columns) head.append(swEl("th", "", col));
  tableEl.append(head);
  for (const row of spec.rows) {
    const tr = swEl("tr", row[0] === "worst group" ? "sw-me-worst" : "");
    row.forEach((cell, i) => {
      const td = swEl(i === 0 ? "th" : "td", "", typeof cell === "number" ? (i >= 2 ? cell.toFixed(3) : String(cell)) : String(cell));
      if (i === row.length - 1 && typeof cell === "number" && spec.columns[i] === "change") {
        td.textContent = `${cell >= 0 ? "+" : ""}${cell.toFixed(3)}`;
        td.className = cell > 0 ? "sw-me-up" : cell < 0 ? "sw-me-down" : "";
      }
      tr.append(td);
    });
    tableEl.append(tr);
  }
}

async function meRender({ model, el }) {
  el.classList.add("sw-root", "sw-me");
  const banner = swErrorBanner(model, el);
  const title = swEl("div", "sw-me-title", "MID — intercept window");
  const help = swEl("div", "sw-me-help",
    "Drag the window over the sorted margins; mark the clusters that look like minority groups; refit the last layer.");
  const curveBox = swEl("div", "sw-me-section");
  const galleryBox = swEl("div", "sw-me-section");
  const controls = swEl("div", "sw-me-controls");
  const button = swEl("button", "sw-button sw-me-refit", "Refit head");
  const progress = swEl("progress", "sw-me-progress");
  progress.max = 1;
  const status = swEl("span", "sw-me-status");
  controls.append(button, progress, status);
  const table = swEl("table", "sw-me-table");
  el.append(title, help, curveBox, galleryBox, controls, table);

  const update = () => {
    const busy = model.get("busy");
    button.disabled = busy;
    progress.value = model.get("progress");
    progress.style.display = busy || model.get("progress") > 0 ? "" : "none";
    status.textContent = model.get("status") || "";
    el.dataset.busy = busy ? "1" : "0";
  };
  const onTable = () => meTable(model, table);
  button.addEventListener("click", () => {
    model.set("refit_clicks", (model.get("refit_clicks") || 0) + 1);
    model.save_changes();
  });
  for (const name of ["busy", "progress", "status"]) model.on(`change:${name}`, update);
  model.on("change:table", onTable);
  update();
  onTable();
  const cleanups = [];
  for (const [key, box] of [["curve", curveBox], ["gallery", galleryBox]]) {
    if (!model.get(`_${key}_esm`)) { box.style.display = "none"; continue; }
    try {
      cleanups.push(await meRenderChild(model, key, box));
    } catch (err) {
      banner.showJsError(err);
    }
  }
  return () => {
    for (const name of ["busy", "progress", "status"]) model.off(`change:${name}`, update);
    model.off("change:table", onTable);
    cleanups.forEach((fn) => fn());
    banner.dispose();
  };
}

export default { render: meRender };
