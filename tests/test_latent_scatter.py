"""LatentScatter in Python: projection, wire format, recolouring, selection, hover, errors."""

from __future__ import annotations

import numpy as np
import pytest

from spurwidgets.compute.projection import color_codes, points_in_polygon, project_2d
from spurwidgets.widgets.latent_scatter import LatentScatter


@pytest.fixture()
def square() -> np.ndarray:
    """A 3x3 grid of points 0..2 x 0..2 (index = 3 * row + column)."""
    y, x = np.divmod(np.arange(9), 3)
    return np.stack([x, y], axis=1).astype(np.float32)


def test_points_in_polygon_uses_even_odd_rule(square):
    triangle = [[-0.5, -0.5], [3.0, -0.5], [-0.5, 3.0]]  # x + y < 2.5
    assert points_in_polygon(square, triangle).tolist() == [0, 1, 2, 3, 4, 6]
    assert points_in_polygon(square, [[0, 0], [1, 1]]).tolist() == []


def test_pca_projection_keeps_the_two_widest_directions():
    rng = np.random.default_rng(0)
    z = np.zeros((200, 3))
    z[:, 0] = rng.normal(scale=5, size=200)
    z[:, 2] = rng.normal(scale=2, size=200)
    xy, titles = project_2d(z)
    assert xy.shape == (200, 2) and xy.dtype == np.float32
    assert abs(np.corrcoef(xy[:, 0], z[:, 0])[0, 1]) > 0.99
    assert abs(np.corrcoef(xy[:, 1], z[:, 2])[0, 1]) > 0.99
    assert titles[0].startswith("PC 1 (") and titles[1].startswith("PC 2 (")


@pytest.mark.slow
def test_umap_projection_keeps_blobs_apart_and_is_reproducible():
    rng = np.random.default_rng(0)
    blob = np.repeat([0, 1, 2], 30)
    points = rng.normal(scale=10, size=(3, 8))[blob] + rng.normal(size=(90, 8))
    xy, titles = project_2d(points, "umap", random_state=0)
    assert xy.shape == (90, 2) and xy.dtype == np.float32 and titles == ["UMAP 1", "UMAP 2"]
    centres = np.stack([xy[blob == k].mean(0) for k in range(3)])
    nearest = ((xy[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
    assert np.array_equal(nearest, blob)
    assert np.array_equal(project_2d(points, "umap", random_state=0)[0], xy)
    w = LatentScatter(points, color=blob, projection="umap")
    assert w.axis_labels == ["UMAP 1", "UMAP 2"] and np.array_equal(w.points_2d, xy)
    with pytest.raises(ValueError, match=r"projection='umap' needs at least 4 points; got 3 \(use projection='pca'\)"):
        project_2d(points[:3], "umap")


def test_two_d_points_pass_through_and_unknown_projection_is_refused(square):
    assert np.array_equal(project_2d(square)[0], square)
    with pytest.raises(ValueError, match="projection must be one of"):
        project_2d(np.zeros((4, 3)), "tsne")


def test_wire_format_is_nine_bytes_per_point(square):
    w = LatentScatter(square, color=np.arange(9) % 2)
    assert w.coords.dtype == np.float32 and w.coords.nbytes == 9 * 8
    assert w.codes.dtype == np.uint8 and w.codes.nbytes == 9
    assert np.array_equal(w.coords, square)
    wire = w.get_state()["coords"]  # the view gets {dtype, shape, buffer}, the buffer as raw bytes
    assert wire["dtype"] == "float32" and wire["shape"] == [9, 2] and len(wire["buffer"]) == 9 * 8


def test_switching_colouring_sends_new_codes_and_legend(square):
    score = np.linspace(0, 1, 9)
    w = LatentScatter(square, color={"cls": np.arange(9) % 3, "p": score}, category_names={"cls": ["a", "b", "c"]})
    assert w.colorings == ["cls", "p"] and w.color_by == "cls"
    assert w.color_kind == "categorical" and w.color_labels == ["a", "b", "c"]
    w.color_by = "p"
    assert w.color_kind == "continuous" and w.color_range == [0.0, 1.0] and w.color_labels == []
    assert w.codes.tolist() == [0, 32, 64, 96, 128, 159, 191, 223, 255]


def test_color_ranges_fix_the_continuous_scale(square):
    w = LatentScatter(square, color={"p": np.full(9, 0.5)}, color_ranges={"p": (0, 1)})
    assert w.color_range == [0.0, 1.0] and set(w.codes.tolist()) == {128}


def test_box_selection_gives_exact_int64_indices(square):
    w = LatentScatter(square)
    seen = []
    w.observe(lambda change: seen.append(change["new"].tolist()), "selection")
    selection = w.select_box(0.5, -0.5, 2.5, 1.5)
    assert selection.dtype == np.int64 and selection.tolist() == [1, 2, 4, 5]
    assert w.n_selected == 4 and seen == [[1, 2, 4, 5]]
    w.clear_selection()
    assert w.selection.tolist() == [] and w.n_selected == 0


def test_selection_set_from_code_is_sent_as_a_bitmask_and_cleared_by_the_view(square):
    w = LatentScatter(square)
    w.select_box(-0.5, -0.5, 0.5, 2.5)  # a lasso first: setting from code must drop its outline
    w.selection = [8, 2, 2]
    assert w.selection.dtype == np.int64 and w.selection.tolist() == [2, 8]
    assert w.lasso == [] and w.n_selected == 2
    bits = np.unpackbits(np.frombuffer(w.selected_bits, np.uint8), bitorder="little")[:9]
    assert np.flatnonzero(bits).tolist() == [2, 8]
    w.selection = np.arange(9) % 4 == 0  # a boolean mask works too
    assert w.selection.tolist() == [0, 4, 8] and w.n_selected == 3
    w.select_box(-0.5, -0.5, 0.5, 0.5)  # the lasso takes over: no bitmask on the wire
    assert w.selection.tolist() == [0] and w.selected_bits == b""
    w.selection = [1]
    w.clear_request += 1  # the view's Clear button / Esc
    assert w.selection.tolist() == [] and w.selected_bits == b"" and w.n_selected == 0


def test_bad_selection_from_code_is_refused_and_keeps_the_selection(square):
    w = LatentScatter(square)
    w.selection = [3]
    with pytest.raises(Exception, match=r"selection indices must be in 0..8; got 3..9"):
        w.selection = [3, 9]
    with pytest.raises(Exception, match=r"selection must be integer point indices or a boolean mask of shape \(9,\)"):
        w.selection = [0.5]
    assert w.selection.tolist() == [3] and w.n_selected == 1


def test_hover_gives_text_and_png_thumbnail(square):
    images = np.zeros((9, 6, 6, 3), dtype=np.uint8)
    w = LatentScatter(square, color={"p": np.linspace(0, 1, 9)}, images=images, thumb_size=24)
    w.hover = 4
    assert w.hover_text == "#4 · p: 0.5" and w.hover_image.startswith(b"\x89PNG")
    w.hover = -1
    assert w.hover_text == "" and w.hover_image == b""


def test_bad_arguments_are_refused(square):
    with pytest.raises(ValueError, match=r"color\['c'\] must have shape \(9,\)"):
        LatentScatter(square, color={"c": np.zeros(8)})
    with pytest.raises(ValueError, match="images has 2 entries but points has 9"):
        LatentScatter(square, images=np.zeros((2, 4, 4, 3), dtype=np.uint8))
    with pytest.raises(TypeError, match="unexpected keyword argument.*'colour'"):
        LatentScatter(square, colour=np.zeros(9))
    with pytest.raises(ValueError, match="colouring 'p' contains NaN"):
        LatentScatter(square, color={"p": np.full(9, np.nan)})
    with pytest.raises(ValueError, match="not in color"):
        LatentScatter(square, color={"p": np.zeros(9)}, color_ranges={"q": (0, 1)})
    w = LatentScatter(square, color={"p": np.zeros(9)})
    with pytest.raises(Exception, match="color_by must be one of"):
        w.color_by = "q"


def test_categorical_codes_follow_sorted_distinct_values():
    coding = color_codes(np.array([7, 3, 7, 9]), "c")
    assert coding["kind"] == "categorical" and coding["codes"].tolist() == [1, 0, 1, 2]
    assert coding["categories"].tolist() == [3, 7, 9]


@pytest.fixture(scope="module")
def fitted_clusters():
    import torch
    from torch import nn

    from spurwidgets.compute.probe_clusters import ProbeClusters
    from spurwidgets.datasets import solid_color_probes

    model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([[10.0, 0.0, -10.0], [-10.0, 0.0, 10.0]]))
        model[2].bias.zero_()
    probes = solid_color_probes(n=40, size=8, random_state=0)
    pc = ProbeClusters(3, 0, vae_params=dict(epochs=2, width=4), device="cpu").fit(model, probes)
    return model, probes, pc


def test_probe_explorer_shows_clusters_selection_and_traversal(fitted_clusters):
    from spurwidgets.widgets.probe_explorer import ProbeExplorer

    _, probes, pc = fitted_clusters
    app = ProbeExplorer(probes=probes, clusters=pc, class_names=["red", "blue"], n_steps=5)
    assert app.scatter.colorings == ["cluster", "p(red)", "p(blue)", "predicted class"]
    assert app.scatter.color_labels == ["cluster 0 → red", "cluster 1 → blue"]
    assert app.scatter.category_colors == ["#4e79a7", "#f28e2b"]  # CLASS_PALETTE[:2]
    assert f"{100 * pc.average_cluster_probability_:.1f}%" in app.header.value
    sizes = {section["cluster"]: section["size"] for section in app.cluster_gallery.sections}
    assert sizes == {k: int((pc.labels_ == k).sum()) for k in np.unique(pc.labels_)}
    # a 2-epoch VAE decodes grey noise: the traversal is hidden and the title says why
    assert app.vae_r2_ < 0.5 and app.traversal.layout.display == "none" and bytes(app.traversal.value) == b""
    assert "hidden. After 2 epochs the VAE reconstructs the probes poorly" in app.traversal_title.value
    assert f"R² = {app.vae_r2_:.2f}" in app.traversal_title.value
    assert app.selection_gallery.indices.tolist() == []
    xy = app.scatter.points_2d
    app.scatter.select_box(xy[:, 0].min() - 1, xy[:, 1].min() - 1, float(np.median(xy[:, 0])), xy[:, 1].max() + 1)
    assert len(app.scatter.selection) >= 20
    assert app.selection_gallery.indices.tolist() == app.scatter.selection.tolist()
    app.scatter.selection = [0, 1, 2]  # from code: the gallery follows as well
    assert app.selection_gallery.indices.tolist() == [0, 1, 2]


def test_probe_explorer_shows_the_traversal_once_the_vae_reconstructs(fitted_clusters, monkeypatch):
    from spurwidgets.widgets import probe_explorer
    from spurwidgets.widgets.probe_explorer import ProbeExplorer, reconstruction_r2

    _, probes, pc = fitted_clusters
    monkeypatch.setattr(probe_explorer, "MIN_TRAVERSAL_R2", -np.inf)  # count this VAE as trained
    app = ProbeExplorer(probes=probes, clusters=pc, n_steps=5)
    assert bytes(app.traversal.value)[:4] == b"\x89PNG" and app.traversal.layout.display is None
    assert app.traversal_title.value.startswith("<b>VAE decoded along each latent axis</b> (−2σ")
    assert app.vae_r2_ == pytest.approx(reconstruction_r2(pc.vae_, probes))


class _Echo:  # a "VAE" whose decoder gives back its input exactly, and one that outputs grey
    def __init__(self, grey=False):
        self.grey = grey

    def encode(self, images):
        return images

    def decode(self, z):
        return np.full_like(z, 128) if self.grey else z


def test_reconstruction_r2_is_one_for_a_perfect_decoder_and_zero_for_grey():
    images = np.random.default_rng(0).integers(0, 256, (6, 4, 4, 3), dtype=np.uint8)
    from spurwidgets.widgets.probe_explorer import reconstruction_r2

    assert reconstruction_r2(_Echo(), images) == pytest.approx(1.0)
    grey = reconstruction_r2(_Echo(grey=True), images)
    assert grey < 0.05


def test_probe_explorer_refuses_mismatched_inputs(fitted_clusters):
    from spurwidgets.widgets.probe_explorer import ProbeExplorer

    model, probes, pc = fitted_clusters
    with pytest.raises(ValueError, match="clusters was fitted on 40 probes but probes has 10"):
        ProbeExplorer(probes=probes[:10], clusters=pc)
    with pytest.raises(ValueError, match="class_names has 3 names but the model has 2 classes"):
        ProbeExplorer(probes=probes, clusters=pc, class_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="pass either model="):
        ProbeExplorer(probes=probes)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        ProbeExplorer(model, probes, latent=2)


def test_category_colors_override_the_scheme_per_category(square):
    w = LatentScatter(
        square, color={"c": np.arange(9) % 2, "p": np.zeros(9)}, category_colors={"c": ["#FF0000", "#00ff00"]}
    )
    assert w.category_colors == ["#ff0000", "#00ff00"]
    w.color_by = "p"
    assert w.category_colors == []
    with pytest.raises(ValueError, match="'#rrggbb' strings; got 'red'"):
        LatentScatter(square, color={"c": np.arange(9) % 2}, category_colors={"c": ["red"]})


@pytest.mark.parametrize("seed", range(5))
def test_polygon_test_matches_a_box_mask_for_random_boxes(seed):
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1, 1, size=(500, 2)).astype(np.float32)
    (x0, x1), (y0, y1) = np.sort(rng.uniform(-1.2, 1.2, size=(2, 2)), axis=1)
    box = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    expected = np.flatnonzero((points[:, 0] > x0) & (points[:, 0] < x1) & (points[:, 1] > y0) & (points[:, 1] < y1))
    assert points_in_polygon(points, box).tolist() == expected.tolist()
