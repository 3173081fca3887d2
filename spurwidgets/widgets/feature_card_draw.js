// Drawing of one feature card (shared by FeatureCard and SpuriosityExplorer; no exports:
// `esm_source` prepends this file to the widget's own module).
//
// card: {cls, feature, title, importance, top, bottom, top_heat, bottom_heat, top_attack,
//        top_values, bottom_values, attack_before, attack_after, heat_scale}
//        (image lists are PNG bytes; heat_scale: {colors, low, high, title} or {})
// options: {annotation, view, onAnnotate(label | ""), onView(view)}
// Returns {node, dispose}; dispose removes the node (each image revokes its own object URL
// after loading: revoking on redraw broke images still loading, ERR_FILE_NOT_FOUND).

const SW_FC_VIEWS = [
  ["images", "images"],
  ["heatmaps", "heatmaps"],
  ["attacks", "feature attack"],
];

// values[i]: a number, or [before, after] (the feature attack) shown as "before→after".
function swFcImages(list, values, caption) {
  const row = swEl("div", "sw-fc-row");
  (list || []).forEach((bytes, i) => {
    const cell = swEl("figure", "sw-fc-cell");
    const img = swImage(bytes, "sw-fc-img");  // its URL is revoked once it has loaded
    img.alt = `${caption} ${i + 1}`;
    cell.append(img);
    const value = values ? values[i] : undefined;
    if (Array.isArray(value)) {
      const text = swEl("figcaption", "sw-fc-value sw-fc-attack-value", `${value[0].toFixed(2)}→${value[1].toFixed(2)}`);
      text.title = `activation before the attack ${value[0].toFixed(3)}, after ${value[1].toFixed(3)}`;
      cell.append(text);
    } else if (value !== undefined) {
      cell.append(swEl("figcaption", "sw-fc-value", value.toFixed(2)));
    }
    row.append(cell);
  });
  return row;
}

// The heatmaps' colour scale: a gradient bar from the colours Python read off `overlay`.
function swFcHeatScale(scale) {
  const box = swEl("div", "sw-fc-scale");
  box.title = scale.title || "";
  const bar = swEl("span", "sw-fc-scale-bar");
  bar.style.background = `linear-gradient(to right, ${scale.colors.join(", ")})`;
  box.append(swEl("span", "sw-fc-scale-end", scale.low || "low"), bar, swEl("span", "sw-fc-scale-end", scale.high || "high"));
  box.append(swEl("span", "sw-fc-scale-title", scale.title || ""));
  return box;
}

function swFeatureCard(card, options) {
  const node = swEl("div", "sw-fc");
  node.dataset.feature = String(card.feature);
  node.dataset.cls = String(card.cls);
  const annotation = options.annotation || "";
  if (annotation) node.classList.add(`sw-fc-${annotation}`);

  const head = swEl("div", "sw-fc-head");
  head.append(swEl("span", "sw-fc-title", card.title || `class ${card.cls} · feature ${card.feature}`));
  head.append(swEl("span", "sw-fc-importance", `importance ${Number(card.importance).toFixed(3)}`));
  node.append(head);

  const toolbar = swEl("div", "sw-fc-toolbar");
  const views = swEl("div", "sw-fc-seg sw-fc-views");
  const hasHeat = (card.top_heat || []).length > 0;
  const hasAttack = (card.top_attack || []).length > 0;
  for (const [value, text] of SW_FC_VIEWS) {
    const button = swEl("button", "sw-button sw-fc-view", text);
    button.dataset.view = value;
    button.disabled = (value === "heatmaps" && !hasHeat) || (value === "attacks" && !hasAttack);
    if (value === "heatmaps" && !hasHeat) button.title = "pass model= to see where the feature fires";
    button.setAttribute("aria-pressed", String(options.view === value));
    button.addEventListener("click", () => options.onView(value));
    views.append(button);
  }
  const marks = swEl("div", "sw-fc-seg sw-fc-marks");
  for (const label of ["core", "spurious"]) {
    const button = swEl("button", `sw-button sw-fc-mark sw-fc-mark-${label}`, label);
    button.dataset.label = label;
    button.setAttribute("aria-pressed", String(annotation === label));
    button.title = annotation === label ? "click again to remove the annotation" : `mark this feature ${label}`;
    button.addEventListener("click", () => options.onAnnotate(annotation === label ? "" : label));
    marks.append(button);
  }
  toolbar.append(views, marks);
  node.append(toolbar);

  const view = options.view === "heatmaps" && hasHeat ? "heatmaps" : options.view === "attacks" && hasAttack ? "attacks" : "images";
  const top = view === "heatmaps" ? card.top_heat : view === "attacks" ? card.top_attack : card.top;
  const bottom = view === "heatmaps" ? card.bottom_heat : card.bottom;
  const before = card.attack_before || [];
  const after = card.attack_after || [];
  const attackValues = before.map((b, i) => [b, after[i]]);
  const topLabel = view === "attacks" ? "most activating, after a feature attack" : "most activating";
  if (view === "heatmaps" && card.heat_scale && (card.heat_scale.colors || []).length) {
    node.append(swFcHeatScale(card.heat_scale));
  }
  node.append(swEl("div", "sw-fc-label", topLabel));
  if (view === "attacks" && attackValues.length) {
    node.append(swEl("div", "sw-fc-hint", "under each image: the feature's activation before→after the attack"));
  }
  node.append(swFcImages(top, view === "attacks" && attackValues.length ? attackValues : card.top_values, "most activating"));
  node.append(swEl("div", "sw-fc-label", "least activating"));
  node.append(swFcImages(bottom, card.bottom_values, "least activating"));
  return {
    node,
    dispose() {
      node.remove();
    },
  };
}
