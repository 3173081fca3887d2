"""MIDExplorer (Python side): inputs, window -> clusters, marks, refit, table, errors keep state."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mid_toy_data import toy_shortcut

from spurwidgets.compute.mid import MID
from spurwidgets.datasets import ImageSet
from spurwidgets.widgets.mid_explorer import MIDExplorer
from spurwidgets.widgets.mid_explorer_data import refit_warnings


@pytest.fixture()
def explorer():
    x, logits, y, groups, images = toy_shortcut(n=200, image_size=8)
    return MIDExplorer(x, images, y, groups=groups, logits=logits, device="cpu")


def test_starts_at_mids_quantile_window(explorer):
    x, logits, y, _, _ = toy_shortcut(n=200, image_size=8)
    reference = MID(quantile=0.15, device="cpu").fit(x, logits, y)
    np.testing.assert_array_equal(explorer.mid.window_, reference.window_)
    assert explorer.window == (float(logits[reference.window_].min()), float(logits[reference.window_].max()))
    assert explorer.marked == {int(c): "minority" for c in reference.minority_clusters_}


def test_moving_the_window_reclusters_and_updates_the_gallery(explorer):
    explorer.window = (-2.0, 2.5)
    expected = np.flatnonzero((explorer.margin >= -2.0) & (explorer.margin <= 2.5))
    np.testing.assert_array_equal(explorer.mid.window_, expected)
    wrong = np.flatnonzero((explorer.logits[:, 0] > 0).astype(int) != explorer.labels)  # MID also clusters errors
    np.testing.assert_array_equal(np.sort(explorer.gallery.indices), np.union1d(expected, wrong))
    assert explorer.marked == {int(c): "minority" for c in explorer.mid.minority_clusters_}
    assert [s["cluster"] for s in explorer.gallery.sections] == sorted(set(explorer.mid.candidate_clusters_.tolist()))
    assert f"{len(expected)} samples in the window" in explorer.status


def test_bad_window_shows_an_error_and_keeps_the_clusters(explorer):
    before = explorer.mid.window_.copy()
    explorer.window = (40.0, 50.0)
    assert explorer.error.startswith("ValueError: window (40, 50) selects no samples")
    np.testing.assert_array_equal(explorer.mid.window_, before)
    assert "was not applied" in explorer.status
    explorer.window = (-2.0, 2.5)  # a good window clears the error
    assert explorer.error == ""


def test_refit_uses_the_marked_clusters_and_fills_the_table(explorer):
    explorer.marked = {0: "minority", 2: "majority"}
    assert explorer.minority_clusters() == [0]
    explorer.refit_clicks += 1  # what the button does
    np.testing.assert_array_equal(explorer.head.coef_, explorer.mid.refit([0]).coef_)
    columns, rows = explorer.table["columns"], explorer.table["rows"]
    assert columns == ["", "n", "before", "after", "change"]
    assert [r[0] for r in rows] == ["overall", "worst group", "group 0", "group 1", "group 2", "group 3"]
    y, groups = explorer.labels, explorer.groups
    after = explorer.head.predict(explorer.features) == y
    assert rows[0][3] == pytest.approx(after.mean())
    assert rows[3][3] == pytest.approx(after[groups == 1].mean())
    assert rows[1][2] == 0.0  # the original model gets a minority group entirely wrong
    assert explorer.progress == 1.0 and explorer.busy is False


def test_refit_failure_keeps_head_and_table(explorer):
    head = explorer.refit()
    table = dict(explorer.table)
    with pytest.raises(ValueError, match="unknown ids"):
        explorer.refit([99])
    assert explorer.head is head and explorer.table == table
    assert explorer.busy is False and "Refit failed" in explorer.status


def test_the_app_is_a_box_of_the_real_widgets(explorer):
    import ipywidgets

    assert isinstance(explorer, ipywidgets.VBox) and "sw-me" in explorer._dom_classes
    assert explorer.children[1:] == (explorer.curve, explorer.gallery, explorer.panel)
    explorer.curve.set_state({"window": [-1.5, 2.0]})  # what the curve's own comm delivers
    assert explorer.window == (-1.5, 2.0)
    assert explorer.mid.window == (-1.5, 2.0)
    explorer.gallery.set_state({"marked": {"1": "majority"}})
    assert explorer.marked == {1: "majority"}


def test_a_drag_reclusters_the_window_only_and_refit_propagates(explorer):
    explorer.window = (-2.0, 2.5)
    assert explorer.mid.groups_ is None  # the pass over all N waits for Refit
    explorer.refit()
    groups = explorer.mid.groups_
    assert groups.shape == (len(explorer.labels),)
    full = MID(window=(-2.0, 2.5), device="cpu").fit(explorer.features, explorer.logits, explorer.labels)
    np.testing.assert_array_equal(groups, full.groups_)
    np.testing.assert_array_equal(explorer.head.coef_, full.refit(explorer.minority_clusters()).coef_)


def test_model_input_and_eval_set():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (60, 8, 8, 3), dtype=np.uint8)
    labels = np.repeat([0, 1], 30)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(192, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    data = ImageSet(images=images, labels=labels, groups=labels * 2 + (np.arange(60) % 3 == 0))
    explorer = MIDExplorer(model, data, quantile=0.5, n_clusters=1, eval_set=data[:20], device="cpu")
    assert explorer.features.shape == (60, 4)
    explorer.refit([])
    assert explorer.table["caption"].startswith("Accuracy on the evaluation set (20 samples)")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"logits": None}, ValueError, "logits= \\(N,\\) or \\(N, C\\) is needed"),
        ({"typo": 1}, TypeError, "unexpected keyword argument\\(s\\) 'typo'"),
        ({"images": np.zeros((5, 8, 8, 3), np.uint8)}, ValueError, "images has 5 entries but the features have 200"),
    ],
)
def test_bad_inputs_are_refused(kwargs, error, match):
    x, logits, y, groups, images = toy_shortcut(n=200, image_size=8)
    args = {"logits": logits, "images": images, **kwargs}
    images = args.pop("images")
    with pytest.raises(error, match=match):
        MIDExplorer(x, images, y, **args)


def test_a_drag_sends_the_window_and_counts_and_a_mark_only_the_mark():
    from comm_recorder import CommRecorder

    x, logits, y, groups, images = toy_shortcut()
    # 2 clusters per class: the 2 KB bound below is for 4 sections' metadata (the default 8 sends 16)
    explorer = MIDExplorer(x, images, y, groups=groups, logits=logits, n_clusters=2, device="cpu")
    sent = CommRecorder(curve=explorer.curve, gallery=explorer.gallery, panel=explorer.panel)
    explorer.curve.set_state({"window": [-2.0, 2.5]})  # what the curve's comm delivers after a drag
    curve_keys = {k for r in sent.records if r["widget"] == "curve" for k in r["keys"]}
    assert curve_keys == {"window", "count", "class_counts"}  # never the envelope or the labels
    assert sent.total("curve") < 1000
    assert {k for r in sent.records if r["widget"] == "panel" for k in r["keys"]} <= {"status", "warnings"}
    assert sent.total("panel") < 1000
    # The gallery sends the new clusters: their sections and collapsed thumbnails, nothing else.
    gallery = [r for r in sent.records if r["widget"] == "gallery"]
    assert {k for r in gallery for k in r["keys"]} <= {"sections", "thumbnails", "thumb_indices", "marked"}
    pngs = sum(len(b) for b in explorer.gallery.thumbnails.values())  # no caching view: the whole state
    assert pngs <= sent.total("gallery") < pngs + 2000

    sent.clear()
    cluster = explorer.gallery.sections[0]["cluster"]
    explorer.gallery.set_state({"marked": {str(cluster): "majority"}})  # a click on a tag
    assert [(r["widget"], r["keys"]) for r in sent.records] == [("gallery", ["marked"])]  # the echo
    assert sent.total() < 200


def test_held_out_table_shows_overall_and_worst_group_on_the_eval_set():
    x, logits, y, groups, images = toy_shortcut(n=200, image_size=8)
    hx, hlogits, hy, hgroups, _ = toy_shortcut(n=150, seed=1, image_size=8)
    explorer = MIDExplorer(x, images, y, logits=logits, eval_set=(hx, hlogits, hy, hgroups), device="cpu")
    head = explorer.refit()
    rows = {r[0]: r for r in explorer.table["rows"]}
    assert explorer.table["caption"].startswith("Accuracy on the evaluation set (150 samples)")
    after = head.predict(hx) == hy
    before = (hlogits > 0).astype(int) == hy
    assert rows["overall"][1:4] == [150, pytest.approx(before.mean()), pytest.approx(after.mean())]
    worst_after = min(after[hgroups == g].mean() for g in range(4))
    assert rows["worst group"][3] == pytest.approx(worst_after)
    assert [r[0] for r in explorer.table["rows"][2:]] == ["group 0", "group 1", "group 2", "group 3"]


def test_the_fitted_samples_table_says_it_is_not_held_out(explorer):
    explorer.refit()
    assert "pass eval_set= held-out data" in explorer.table["caption"]


def test_a_refit_that_costs_overall_accuracy_is_warned_about():
    table = {"rows": [["overall", 100, 0.955, 0.557, -0.398], ["worst group", "", 0.0, 0.3, 0.3]]}
    (warning,) = refit_warnings(table)
    assert warning.startswith("The refit costs 39.8 points of overall accuracy (0.955 -> 0.557)")
    assert refit_warnings({"rows": [["overall", 100, 0.90, 0.86, -0.04]]}) == []


def test_mids_own_warnings_are_shown_with_the_clusters(explorer, monkeypatch):
    import spurwidgets.compute.mid as mid_module

    assert explorer.warnings == explorer.mid.warnings_ == []  # no suspicious flag on the toy data
    message = "cluster 1 is flagged but holds 3x the class's confident majority"
    monkeypatch.setattr(mid_module, "size_warnings", lambda *args: [message])
    explorer.window = (-2.0, 2.5)  # the drag refits MID, which now reports the warning
    assert explorer.warnings == explorer.panel.warnings == explorer.mid.warnings_ == [message]
    explorer.refit()
    assert explorer.warnings[0] == message


def test_drags_at_the_default_k_warm_start_and_send_only_the_thumbnails_the_view_lacks():
    from comm_recorder import CommRecorder

    x, logits, y, groups, images = toy_shortcut(n=1000, image_size=8)
    explorer = MIDExplorer(x, images, y, groups=groups, logits=logits, device="cpu")  # default k: 16 sections
    assert len(explorer.gallery.sections) == 16
    explorer.mid.set_params(max_cluster_samples=40)  # the capped path MIDExplorer takes at scale
    lo, hi = explorer.window
    explorer.window = (lo, hi)  # a fresh capped fit to start from
    cache = {"content": {"data": {"method": "custom", "content": {"kind": "cache"}}}, "buffers": []}
    explorer.gallery.comm.handle_msg(cache)  # the view keeps thumbnails by image index
    sent = CommRecorder(curve=explorer.curve, gallery=explorer.gallery, panel=explorer.panel)
    shown_before = {i for ids in explorer.gallery.thumb_indices.values() for i in ids}
    explorer.window = (lo, hi + 0.02)  # a small drag: 1 more sample in the window
    assert explorer.mid.warm_started_ is True and explorer.error == ""
    shown = {i for ids in explorer.gallery.thumb_indices.values() for i in ids}
    new = shown - shown_before
    assert len(new) <= 8  # 6 of 128: the clusters kept the members the view holds (a fresh fit: 14)
    png = sum(len(p) for i, p in explorer.gallery.thumbnails.items() if int(i) in new)
    assert sent.total() < png + 3000  # new PNGs + sections, indices, marks, counts and status
    explorer.window = (lo - 3.0, hi + 3.0)  # a wide jump shares too little: a fresh fit
    assert explorer.mid.warm_started_ is False
