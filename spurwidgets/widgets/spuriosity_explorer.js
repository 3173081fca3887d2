// SpuriosityExplorer view: class picker, feature cards, ranked strip, gap table, tuning.

function swPct(value) {
  return value === null || value === undefined ? "—" : `${(100 * value).toFixed(1)}`;
}

function swSigned(value) {
  return value === null || value === undefined ? "—" : `${value > 0 ? "+" : ""}${(100 * value).toFixed(0)}`;
}

function swSection(root, title, className) {
  const section = swEl("section", `sw-sx-section ${className}`);
  section.append(swEl("h4", "sw-sx-title", title));
  const body = swEl("div", "sw-sx-body");
  section.append(body);
  root.append(section);
  return body;
}

function renderExplorer({ model, el, guard }) {
  const root = swEl("div", "sw-sx");
  el.append(root);
  let disposers = [];
  // swImage revokes each object URL once its image has loaded; revoking on redraw broke
  // images still loading (Chromium: ERR_FILE_NOT_FOUND).
  const thumb = (bytes, className, alt) => {
    const img = swImage(bytes, className);
    img.alt = alt;
    return img;
  };

  // header: class picker + card view
  const header = swEl("div", "sw-sx-header");
  const picker = swEl("select", "sw-sx-class");
  picker.setAttribute("aria-label", "class");
  picker.addEventListener("change", guard(() => {
    model.set("cls", Number(picker.value));
    model.save_changes();
  }));
  header.append(swEl("label", "sw-sx-label", "Class"), picker);
  root.append(header);
  const cardsBody = swSection(root, "Top features of the class (mark each core or spurious)", "sw-sx-cards");
  const stripBody = swSection(root, "Validation images of the class, lowest → highest spuriosity", "sw-sx-strip");
  const gapBody = swSection(root, "Spurious gap per class", "sw-sx-gaps");
  const tuneBody = swSection(root, "Mitigation: tune the head on low-spuriosity images", "sw-sx-tune");

  const drawPicker = () => {
    picker.replaceChildren(...model.get("class_names").map((name, i) => {
      const option = swEl("option", "", name);
      option.value = String(i);
      return option;
    }));
    picker.value = String(model.get("cls"));
  };

  const annotate = (cls, feature, label) => {
    const next = JSON.parse(JSON.stringify(model.get("annotations") || {}));
    const key = String(cls);
    next[key] = next[key] || {};
    if (label) next[key][String(feature)] = label;
    else delete next[key][String(feature)];
    model.set("annotations", next);
    model.save_changes();
  };

  const drawCards = () => {
    disposers.forEach((d) => d());
    disposers = [];
    cardsBody.replaceChildren();
    const annotations = model.get("annotations") || {};
    for (const card of model.get("cards") || []) {
      const drawn = swFeatureCard(card, {
        annotation: (annotations[String(card.cls)] || {})[String(card.feature)] || "",
        view: model.get("view"),
        onAnnotate: guard((label) => annotate(card.cls, card.feature, label)),
        onView: guard((view) => {
          model.set("view", view);
          model.save_changes();
        }),
      });
      cardsBody.append(drawn.node);
      disposers.push(drawn.dispose);
    }
  };

  const drawStrip = () => {
    const strip = model.get("strip") || {};
    stripBody.replaceChildren();
    const row = swEl("div", "sw-sx-strip-row");
    (strip.images || []).forEach((bytes, i) => {
      const cell = swEl("figure", `sw-sx-strip-cell ${strip.correct[i] ? "" : "sw-sx-wrong"}`);
      cell.dataset.rank = String(strip.ranks[i]);
      cell.append(thumb(bytes, "sw-sx-strip-img", `rank ${strip.ranks[i] + 1} of ${strip.n}`));
      cell.append(swEl("figcaption", "sw-sx-cap", strip.spuriosity[i].toFixed(2)));
      cell.title = `rank ${strip.ranks[i] + 1} of ${strip.n}; spuriosity ${strip.spuriosity[i].toFixed(3)}` +
        (strip.correct[i] ? "" : "; misclassified");
      row.append(cell);
    });
    stripBody.append(row);
    stripBody.append(swEl("div", "sw-sx-hint",
      `${strip.n || 0} images; red frame = misclassified by the current head; caption = spuriosity (z-score)`));
  };

  const drawGaps = () => {
    gapBody.replaceChildren();
    const table = swEl("table", "sw-sx-table");
    const head = swEl("tr");
    ["class", "spurious features", `gap (k=${model.get("k")}), points`, ""].forEach((t) => head.append(swEl("th", "", t)));
    table.append(head);
    for (const row of model.get("gaps") || []) {
      const tr = swEl("tr", row.gap !== null && row.gap < 0 ? "sw-sx-negative" : "");
      tr.dataset.cls = String(row.cls);
      tr.append(swEl("td", "", row.name), swEl("td", "", row.features.join(", ") || "—"));
      tr.append(swEl("td", "sw-sx-num", swSigned(row.gap)));
      const note = swEl("td", "sw-sx-note", row.note);
      if (row.images && row.images.length) {
        const imgs = swEl("div", "sw-sx-flagged");
        row.images.forEach((b, i) => imgs.append(thumb(b, "sw-sx-flag-img", `most spurious ${i + 1}`)));
        note.append(imgs);
        if (row.crops && row.crops.length) {
          const crops = swEl("div", "sw-sx-flagged sw-sx-crops");
          crops.title = "core crops: where the class's core features fire (threshold 0.9, +20%, square)";
          row.crops.forEach((b, i) => crops.append(thumb(b, "sw-sx-flag-img", `core crop ${i + 1}`)));
          note.append(swEl("div", "sw-sx-hint", "core crops"), crops);
        }
      }
      tr.append(note);
      table.append(tr);
    }
    gapBody.append(table);
  };

  const button = swEl("button", "sw-button sw-sx-tune-button", "Tune head");
  const bar = swEl("progress", "sw-sx-progress");
  bar.max = 1;
  const status = swEl("span", "sw-sx-status");
  const resultsBox = swEl("div", "sw-sx-results");
  const controls = swEl("div", "sw-sx-controls");
  controls.append(button, bar, status);
  tuneBody.append(controls, resultsBox);
  button.addEventListener("click", guard(() => {
    model.set("tune_request", (model.get("tune_request") || 0) + 1);
    model.save_changes();
    status.textContent = "tuning...";
  }));

  const drawTune = () => {
    bar.value = model.get("tune_progress") || 0;
    status.textContent = model.get("tune_status") || "";
    const text = status.textContent;  // running: "tuning..." or "<strategy>: epoch N"
    button.disabled = (model.get("tune_progress") || 0) < 1 && (text.startsWith("tuning") || /: epoch \d+$/.test(text));
    const rows = model.get("results") || [];
    resultsBox.replaceChildren();
    if (!rows.length) return;
    const table = swEl("table", "sw-sx-table");
    const head = swEl("tr");
    ["strategy", "val acc before", "val acc after", "gaps before", "gaps after", "epochs"].forEach((t) =>
      head.append(swEl("th", "", t)));
    table.append(head);
    for (const r of rows) {
      const tr = swEl("tr", r.strategy === "low_spuriosity" ? "sw-sx-ours" : "");
      tr.dataset.strategy = r.strategy;
      tr.append(swEl("td", "", r.strategy.replace("_", " ")));
      const names = model.get("class_names") || [];
      const gapText = (gaps) => Object.entries(gaps).map(([c, g]) => `${names[Number(c)] ?? c} ${swSigned(g)}`).join(", ");
      [swPct(r.val_accuracy_before), swPct(r.val_accuracy_after), gapText(r.gaps_before), gapText(r.gaps_after)]
        .forEach((t) => tr.append(swEl("td", "sw-sx-num", t)));
      tr.append(swEl("td", "sw-sx-num", `${r.best_epoch}/${r.epochs}${r.reached_threshold ? " ✓" : ""}`));
      table.append(tr);
    }
    resultsBox.append(table);
    for (const r of rows) {  // why each run stopped where it did (e.g. nothing to tune at epoch 0)
      if (r.note) resultsBox.append(swEl("div", "sw-sx-hint sw-sx-note-line", `${r.strategy.replace("_", " ")}: ${r.note}`));
    }
    resultsBox.append(swEl("div", "sw-sx-hint",
      "accuracy in %, gaps in points; epochs = returned/run, ✓ = stop rule met (every gap under the threshold without losing accuracy)"));
  };

  const handlers = [
    ["change:class_names", drawPicker], ["change:cls", drawPicker], ["change:cards", drawCards],
    ["change:annotations", drawCards], ["change:view", drawCards], ["change:strip", drawStrip],
    ["change:gaps", drawGaps], ["change:k", drawGaps], ["change:tune_progress", drawTune],
    ["change:tune_status", drawTune], ["change:results", drawTune],
  ].map(([event, fn]) => [event, guard(fn)]);
  handlers.forEach(([event, fn]) => model.on(event, fn));
  [drawPicker, drawCards, drawStrip, drawGaps, drawTune].forEach((fn) => guard(fn)());
  return () => {
    handlers.forEach(([event, fn]) => model.off(event, fn));
    disposers.forEach((d) => d());
    root.remove();
  };
}

export default { render: swSafeRender(renderExplorer) };
