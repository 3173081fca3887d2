// ClusterGallery view: one section per cluster with size, class mix, thumbnails and tag
// buttons. Clicking a tag marks the cluster (clicking the active tag again unmarks it).
// "Show more" extras arrive as custom messages {kind: "more", cluster, indices} + PNG
// buffers, one cluster at a time (see cluster_gallery.py). Uses _common.js helpers.

function cgRender({ model, el, guard }) {
  const root = swEl("div", "sw-cluster-gallery");
  const summary = swEl("div", "sw-cg-summary");
  const list = swEl("div", "sw-cg-list");
  root.append(summary, list);
  el.append(root);
  const extras = new Map();  // cluster id -> {indices, pngs} beyond the first n_thumbs

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
    const thumbs = model.get("thumbnails") || {}, ids = model.get("thumb_indices") || {};
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
      const pngs = [...(thumbs[key] || []), ...(extra ? extra.pngs : [])];
      const indices = [...(ids[key] || []), ...(extra ? extra.indices : [])];
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
    if (!msg || msg.kind !== "more") return;
    extras.set(msg.cluster, { indices: msg.indices, pngs: buffers || [] });
    onDraw();
  });
  const drawEvents = ["thumbnails", "thumb_indices", "expanded", "tags", "thumb_size"];
  drawEvents.forEach((n) => model.on(`change:${n}`, onDraw));
  model.on("change:sections", onSections);
  model.on("change:marked", onMarks);
  model.on("msg:custom", onCustom);
  draw();
  const missing = model.get("expanded").filter((c) => !extras.has(c));
  if (missing.length) model.send({ kind: "need-more", clusters: missing });  // a view opened later
  return () => {
    drawEvents.forEach((n) => model.off(`change:${n}`, onDraw));
    model.off("change:sections", onSections);
    model.off("change:marked", onMarks);
    model.off("msg:custom", onCustom);
  };
}

export default { render: swSafeRender(cgRender) };
