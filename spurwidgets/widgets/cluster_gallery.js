// ClusterGallery view: one section per cluster with size, class mix, thumbnails and tag
// buttons. Clicking a tag marks the cluster (clicking the active tag again unmarks it).
// "Show more" extras arrive as custom messages {kind: "more", cluster, indices} + PNG
// buffers, one cluster at a time (see cluster_gallery.py). Collapsed thumbnails are keyed by
// image index and kept per model (`cgCache`): after {kind: "cache"} Python sends only the PNGs
// of new images, as {kind: "thumbs", indices} + buffers. Uses _common.js helpers.

const cgCaches = new WeakMap();  // model -> Map(image index -> PNG bytes), shared by its views
function cgCache(model) {
  if (!cgCaches.has(model)) cgCaches.set(model, new Map());
  return cgCaches.get(model);
}

function cgRender({ model, el, guard }) {
  const root = swEl("div", "sw-cluster-gallery");
  const summary = swEl("div", "sw-cg-summary");
  const list = swEl("div", "sw-cg-list");
  root.append(summary, list);
  el.append(root);
  const extras = new Map();  // cluster id -> {indices, pngs} beyond the first n_thumbs
  const cache = cgCache(model);
  const learn = () => { for (const [i, png] of Object.entries(model.get("thumbnails") || {})) cache.set(+i, png); };
  const missingThumbs = () => Object.values(model.get("thumb_indices") || {}).flat().filter((i) => !cache.has(i));

  function drawSummary() {
    const sections = model.get("sections"), marked = model.get("marked") || {};
    const total = sections.reduce((a, s) => a + s.size, 0);
    const counts = model.get("tags").map((t) => `${Object.values(marked).filter((v) => v === t).length} ${t}`);
    summary.textContent = `${sections.length} clusters · ${total.toLocaleString()} images · marked: ${counts.join(", ")}`;
  }

  function drawMarks() {
    const marked = model.get("marked") || {};
    for (const section of list.querySelectorAll(".sw-cg-section")) {
      const tag = marked[section.dataset.cluster] || "";
      section.dataset.tag = tag;
      for (const b of section.querySelectorAll(".sw-cg-tag")) b.setAttribute("aria-pressed", b.dataset.tag === tag ? "true" : "false");
    }
    drawSummary();
  }

  function draw() {
    list.replaceChildren();
    const ids = model.get("thumb_indices") || {};
    const expanded = new Set(model.get("expanded")), size = model.get("thumb_size");
    for (const s of model.get("sections")) {
      const key = String(s.cluster);
      const section = swEl("section", "sw-cg-section");
      section.dataset.cluster = key;
      const head = swEl("div", "sw-cg-head");
      head.append(swEl("span", "sw-cg-name", `Cluster ${s.cluster}`), swEl("span", "sw-cg-size", `${s.size.toLocaleString()} images`));
      const mix = swEl("span", "sw-cg-mix");
      for (const [name, count] of s.class_mix) mix.append(swEl("span", "sw-cg-chip", `${name}: ${count}`));
      head.append(mix, swEl("span", "sw-cg-spacer"));
      for (const tag of model.get("tags")) {
        const b = swEl("button", `sw-button sw-cg-tag sw-cg-tag-${tag}`, tag);
        b.type = "button"; b.dataset.tag = tag;
        head.append(b);
      }
      const row = swEl("div", "sw-cg-thumbs");
      const extra = expanded.has(s.cluster) ? extras.get(s.cluster) : null;
      const first = (ids[key] || []).filter((i) => cache.has(i));  // a missing one is on its way
      const pngs = [...first.map((i) => cache.get(i)), ...(extra ? extra.pngs : [])];
      const indices = [...first, ...(extra ? extra.indices : [])];
      pngs.forEach((bytes, i) => {
        const img = swImage(bytes, "sw-cg-img", size);
        img.title = img.alt = `index ${indices[i]}`;
        row.append(img);
      });
      const shown = pngs.length;
      if (s.size > model.get("n_thumbs")) {
        const more = swEl("button", "sw-button sw-cg-more", expanded.has(s.cluster) ? "Show less" : `Show more (${shown} of ${s.size})`);
        more.type = "button";
        row.append(more);
      }
      section.append(head, row);
      list.append(section);
    }
    drawMarks();
  }

  const onClick = guard((ev) => {
    const section = ev.target.closest(".sw-cg-section");
    if (!section) return;
    const cluster = +section.dataset.cluster;
    const tagButton = ev.target.closest(".sw-cg-tag");
    if (tagButton) {
      const marked = { ...(model.get("marked") || {}) };
      if (marked[cluster] === tagButton.dataset.tag) delete marked[cluster]; else marked[cluster] = tagButton.dataset.tag;
      model.set("marked", marked);
      model.save_changes();
      drawMarks();
    } else if (ev.target.closest(".sw-cg-more")) {
      const expanded = model.get("expanded");
      model.set("expanded", expanded.includes(cluster) ? expanded.filter((c) => c !== cluster) : [...expanded, cluster]);
      model.save_changes();
    }
  });
  list.addEventListener("click", onClick);
  const onDraw = swBatch(guard(draw)), onMarks = guard(drawMarks);
  const onSections = () => { extras.clear(); onDraw(); };  // new clusters: old extras are stale
  const onCustom = guard((msg, buffers) => {
    if (msg && msg.kind === "more") extras.set(msg.cluster, { indices: msg.indices, pngs: buffers || [] });
    else if (msg && msg.kind === "thumbs") msg.indices.forEach((i, k) => cache.set(i, buffers[k]));
    else return;
    onDraw();
  });
  const onThumbs = () => { learn(); onDraw(); };
  const drawEvents = ["thumb_indices", "expanded", "tags", "thumb_size"];
  drawEvents.forEach((n) => model.on(`change:${n}`, onDraw));
  model.on("change:thumbnails", onThumbs);
  model.on("change:sections", onSections);
  model.on("change:marked", onMarks);
  model.on("msg:custom", onCustom);
  learn();
  draw();
  try {
    model.send({ kind: "cache" });  // from now on Python sends only thumbnails this model lacks
  } catch (_) { /* no kernel (static HTML export): nothing will change */ }
  const lacking = missingThumbs();  // a view opened after updates its model state did not get
  if (lacking.length) model.send({ kind: "need-thumbs", indices: lacking });
  const missing = model.get("expanded").filter((c) => !extras.has(c));
  if (missing.length) model.send({ kind: "need-more", clusters: missing });  // a view opened later
  return () => {
    drawEvents.forEach((n) => model.off(`change:${n}`, onDraw));
    model.off("change:thumbnails", onThumbs);
    model.off("change:sections", onSections);
    model.off("change:marked", onMarks);
    model.off("msg:custom", onCustom);
  };
}

export default { render: swSafeRender(cgRender) };
