// FeatureCard: one (class, feature) card with a core/spurious toggle synced to Python.

function renderFeatureCard({ model, el, guard }) {
  const root = swEl("div", "sw-fc-host");
  el.append(root);
  let current = null;
  const draw = guard(() => {
    if (current) current.dispose();
    current = swFeatureCard(model.get("card"), {
      annotation: model.get("annotation"),
      view: model.get("view"),
      onAnnotate: guard((label) => {
        model.set("annotation", label);
        model.save_changes();
      }),
      onView: guard((view) => {
        model.set("view", view);
        model.save_changes();
      }),
    });
    root.append(current.node);
  });
  const events = ["change:card", "change:annotation", "change:view"];
  events.forEach((e) => model.on(e, draw));
  draw();
  return () => {
    events.forEach((e) => model.off(e, draw));
    if (current) current.dispose();
    root.remove();
  };
}

export default { render: swSafeRender(renderFeatureCard) };
