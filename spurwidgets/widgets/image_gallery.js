// ImageGallery view: paged thumbnail grid; click toggles an image in `selection`.
// Uses _common.js helpers (prepended by Python). Only the current page's PNGs are in the model.

function igRender({ model, el, guard }) {
  const root = swEl("div", "sw-image-gallery");
  const title = swEl("div", "sw-ig-title");
  const bar = swEl("div", "sw-ig-bar");
  const status = swEl("span", "sw-ig-status");
  const prev = swEl("button", "sw-button sw-ig-prev", "‹ Prev");
  const pageLabel = swEl("span", "sw-ig-page");
  const next = swEl("button", "sw-button sw-ig-next", "Next ›");
  const chosen = swEl("span", "sw-ig-selected");
  const clear = swEl("button", "sw-button sw-ig-clear", "Clear selection");
  bar.append(status, prev, pageLabel, next, chosen, clear);
  const grid = swEl("div", "sw-ig-grid");
  root.append(title, bar, grid);
  el.append(root);
  let loading = false;

  const nPages = () => Math.max(1, Math.ceil(model.get("n_items") / model.get("page_size")));
  const selected = () => new Set(model.get("selection"));

  function drawBar() {
    const n = model.get("n_items"), page = model.get("page");
    title.textContent = model.get("title");
    title.style.display = model.get("title") ? "block" : "none";
    status.textContent = `${n.toLocaleString()} image${n === 1 ? "" : "s"}`;
    pageLabel.textContent = `page ${page + 1} / ${nPages()}`;
    prev.disabled = page <= 0;
    next.disabled = page >= nPages() - 1;
    const k = model.get("selection").length;
    chosen.textContent = k ? `${k} selected` : "";
    clear.style.display = k ? "" : "none";
  }

  function drawGrid() {
    loading = false;
    grid.classList.remove("sw-ig-loading");
    grid.replaceChildren();
    const size = model.get("thumb_size"), sel = selected();
    grid.style.gridTemplateColumns = `repeat(${model.get("columns")}, ${size}px)`;
    const ids = model.get("page_indices"), tips = model.get("tooltips"), caps = model.get("page_captions");
    model.get("thumbnails").forEach((bytes, i) => {
      const cell = swEl("button", "sw-ig-cell");
      cell.type = "button";
      cell.dataset.index = ids[i];
      cell.title = tips[i] || `index ${ids[i]}`;
      cell.setAttribute("aria-pressed", sel.has(ids[i]) ? "true" : "false");
      const img = swImage(bytes, "sw-ig-img", size);
      img.alt = cell.title;
      cell.append(img);
      if (caps[i]) cell.append(swEl("span", "sw-ig-caption", caps[i]));
      grid.append(cell);
    });
    if (!ids.length) grid.append(swEl("div", "sw-ig-empty", "No images to show"));
  }

  function drawSelection() {
    const sel = selected();
    for (const cell of grid.querySelectorAll(".sw-ig-cell")) cell.setAttribute("aria-pressed", sel.has(+cell.dataset.index) ? "true" : "false");
    drawBar();
  }

  const goTo = guard((page) => {
    if (page < 0 || page >= nPages() || page === model.get("page")) return;
    loading = true;
    grid.classList.add("sw-ig-loading");
    model.set("page", page);
    model.save_changes();
    drawBar();
  });
  const onClick = guard((ev) => {
    const cell = ev.target.closest(".sw-ig-cell");
    if (!cell || loading) return;
    const index = +cell.dataset.index, sel = model.get("selection");
    const nextSel = sel.includes(index) ? sel.filter((i) => i !== index) : [...sel, index];
    model.set("selection", nextSel);
    model.save_changes();
    drawSelection();
  });
  prev.addEventListener("click", () => goTo(model.get("page") - 1));
  next.addEventListener("click", () => goTo(model.get("page") + 1));
  clear.addEventListener("click", guard(() => { model.set("selection", []); model.save_changes(); drawSelection(); }));
  grid.addEventListener("click", onClick);
  const onPage = swBatch(guard(drawGrid)), onBar = guard(drawBar), onSel = guard(drawSelection);
  const gridEvents = ["thumbnails", "page_indices", "columns", "thumb_size"];
  const barEvents = ["page", "n_items", "page_size", "title"];
  gridEvents.forEach((n) => model.on(`change:${n}`, onPage));
  barEvents.forEach((n) => model.on(`change:${n}`, onBar));
  model.on("change:selection", onSel);
  drawGrid();
  drawBar();
  return () => {
    gridEvents.forEach((n) => model.off(`change:${n}`, onPage));
    barEvents.forEach((n) => model.off(`change:${n}`, onBar));
    model.off("change:selection", onSel);
  };
}

export default { render: swSafeRender(igRender) };
