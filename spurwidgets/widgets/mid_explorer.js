// MIDExplorer's panel (MIDPanel): "Refit head" button with progress and status, warnings,
// and the before/after accuracy table. The curve and the gallery are sibling widgets in the
// explorer's VBox, each with its own model.

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

function meRender({ model, el, guard }) {
  const root = swEl("div", "sw-me-panel");
  const controls = swEl("div", "sw-me-controls");
  const button = swEl("button", "sw-button sw-me-refit", "Refit head");
  const progress = swEl("progress", "sw-me-progress");
  progress.max = 1;
  const status = swEl("span", "sw-me-status");
  controls.append(button, progress, status);
  const warnings = swEl("ul", "sw-me-warnings");
  warnings.setAttribute("role", "status");
  const table = swEl("table", "sw-me-table");
  root.append(controls, warnings, table);
  el.append(root);

  const update = guard(() => {
    const busy = model.get("busy");
    button.disabled = busy;
    progress.value = model.get("progress");
    progress.style.display = busy || model.get("progress") > 0 ? "" : "none";
    status.textContent = model.get("status") || "";
    root.dataset.busy = busy ? "1" : "0";
  });
  const onWarnings = guard(() => {
    const items = model.get("warnings") || [];
    warnings.replaceChildren(...items.map((text) => swEl("li", "sw-me-warning", `⚠ ${text}`)));
    warnings.style.display = items.length ? "" : "none";
  });
  const onTable = guard(() => meTable(model, table));
  button.addEventListener("click", guard(() => {
    model.set("refit_clicks", (model.get("refit_clicks") || 0) + 1);
    model.save_changes();
  }));
  for (const name of ["busy", "progress", "status"]) model.on(`change:${name}`, update);
  model.on("change:warnings", onWarnings);
  model.on("change:table", onTable);
  update();
  onWarnings();
  onTable();
  return () => {
    for (const name of ["busy", "progress", "status"]) model.off(`change:${name}`, update);
    model.off("change:warnings", onWarnings);
    model.off("change:table", onTable);
    root.remove();
  };
}

export default { render: swSafeRender(meRender) };
