"""ImageGallery, ClusterGallery, link_selection and encode_thumbnails (Python side)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from spurwidgets.datasets import from_arrays
from spurwidgets.widgets import ClusterGallery, ImageGallery, LogitCurve, link_selection
from spurwidgets.widgets._base import encode_thumbnails


@pytest.fixture(scope="module")
def pictures() -> np.ndarray:
    """150 tiny 8x8 images whose red channel encodes the index (readable back from a PNG)."""
    out = np.zeros((150, 8, 8, 3), dtype=np.uint8)
    out[..., 0] = np.arange(150, dtype=np.uint8)[:, None, None]
    return out


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_encode_thumbnails_upscales_small_images_crisply(pictures):
    pngs = encode_thumbnails(pictures[[3, 7]], 32)
    assert [decode(p).shape for p in pngs] == [(32, 32, 3), (32, 32, 3)]
    assert np.unique(decode(pngs[1])[..., 0]).tolist() == [7]  # nearest neighbour: no blending


def test_encode_thumbnails_keeps_aspect_and_refuses_floats():
    wide = np.zeros((1, 20, 40, 3), dtype=np.uint8)
    assert decode(encode_thumbnails(wide, 16)[0]).shape == (8, 16, 3)
    with pytest.raises(ValueError, match=r"images must be uint8 \(k, H, W, 3\); got shape \(1, 3, 4, 4\)"):
        encode_thumbnails(np.zeros((1, 3, 4, 4), dtype=np.float32), 16)


def test_image_gallery_sends_one_page_of_thumbnails(pictures):
    g = ImageGallery(pictures, indices=np.arange(10, 150), page_size=16, thumb_size=24)
    assert g.n_items == 140 and g.n_pages == 9
    assert g.page_indices == list(range(10, 26)) and len(g.thumbnails) == 16
    assert decode(g.thumbnails[0]).shape == (24, 24, 3) and decode(g.thumbnails[0])[0, 0, 0] == 10
    g.page = 8
    assert g.page_indices == list(range(138, 150))
    g.page = 50  # clamped to the last page
    assert g.page == 8


def test_image_gallery_hover_text_has_index_label_and_score(pictures):
    labels = np.arange(150) % 2
    g = ImageGallery(pictures, indices=[5], labels=labels, scores=np.linspace(-1, 1, 150), class_names=["cat", "dog"])
    assert g.tooltips == ["index 5 · label dog · logit -0.933"]
    assert g.page_captions == ["dog"]


def test_image_gallery_takes_labels_and_class_names_from_an_imageset(pictures):
    images = from_arrays(pictures, labels=np.arange(150) % 3, class_names=["a", "b", "c"])
    g = ImageGallery(images, indices=[4])
    assert g.page_captions == ["b"]


def test_new_indices_reset_the_page_and_drop_hidden_selections(pictures):
    g = ImageGallery(pictures, page_size=10)
    g.page = 3
    g.selection = [1, 35, 90]
    g.indices = np.arange(30, 100)
    assert g.page == 0 and g.page_indices[0] == 30 and g.selection.tolist() == [35, 90]
    assert g.selection.dtype == np.int64


def test_image_gallery_refuses_bad_arguments(pictures):
    with pytest.raises(ValueError, match=r"indices must be in 0..149 \(there are 150 images\); got range 0..150"):
        ImageGallery(pictures, indices=[0, 150])
    with pytest.raises(TypeError, match="indices must hold integer image indices; got dtype float64"):
        ImageGallery(pictures, indices=[0.5])
    with pytest.raises(ValueError, match="captions has 2 entries but there are 150 images"):
        ImageGallery(pictures, captions=["a", "b"])
    with pytest.raises(TypeError, match="ImageGallery\\(\\) got unexpected keyword argument\\(s\\) 'colums'"):
        ImageGallery(pictures, colums=4)
    with pytest.raises(TypeError, match="images must be"):
        ImageGallery("not images")


def test_link_selection_makes_the_gallery_follow_the_curve(pictures):
    values = np.arange(150, dtype=np.float32) - 75
    curve = LogitCurve(values, window=(-2, 2))
    g = ImageGallery(pictures, page_size=64)
    link = link_selection(curve, g)
    assert g.indices.tolist() == [73, 74, 75, 76, 77]
    curve.window = (70, 80)
    assert g.indices.tolist() == [145, 146, 147, 148, 149] and g.page_indices == [145, 146, 147, 148, 149]
    link.unlink()
    curve.window = (0, 1)
    assert g.n_items == 5
    with pytest.raises(TypeError, match="gallery must have a settable `indices`"):
        link_selection(curve, object())


def test_link_selection_shows_gallery_errors_in_the_gallery(pictures):
    curve = LogitCurve(np.arange(300, dtype=np.float32), window=(0, 1))
    g = ImageGallery(pictures)
    link_selection(curve, g)
    curve.window = (140, 160)  # indices 150.. do not exist among 150 pictures
    assert g.error.startswith("ValueError: indices must be in 0..149")
    assert g.indices.tolist() == [0, 1]  # the last good state is kept


@pytest.fixture()
def clusters_gallery(pictures):
    labels = np.arange(150) % 2
    shown = np.arange(0, 150, 3)  # 50 images
    clusters = np.array([7] * 30 + [2] * 20)
    return ClusterGallery(
        pictures, clusters, labels=labels, indices=shown, class_names=["cat", "dog"], n_thumbs=4, max_thumbs=12
    )


def test_cluster_gallery_sections_hold_size_and_class_mix(clusters_gallery):
    g = clusters_gallery
    assert g.sections == [
        {"cluster": 2, "size": 20, "class_mix": [["cat", 10], ["dog", 10]]},
        {"cluster": 7, "size": 30, "class_mix": [["cat", 15], ["dog", 15]]},
    ]
    assert g.thumb_indices == {"2": [90, 93, 96, 99], "7": [0, 3, 6, 9]}
    assert sorted(map(int, g.thumbnails)) == [0, 3, 6, 9, 90, 93, 96, 99]  # keyed by image index
    assert decode(g.thumbnails["93"])[0, 0, 0] == 93


def test_expanding_a_cluster_sends_only_its_new_thumbnails(clusters_gallery):
    from comm_recorder import CommRecorder

    g = clusters_gallery
    sent = CommRecorder(gallery=g)
    messages = []
    send = g.comm.send
    g.comm.send = lambda data=None, metadata=None, buffers=None: (
        messages.append((data, buffers)),
        send(data, metadata, buffers),
    )
    g.expanded = [7]
    custom = [(d["content"], b) for d, b in messages if d["method"] == "custom"]
    assert [c for c, _ in custom] == [{"kind": "more", "cluster": 7, "indices": [12, 15, 18, 21, 24, 27, 30, 33]}]
    pngs = custom[0][1]
    assert [decode(p)[0, 0, 0] for p in pngs] == [12, 15, 18, 21, 24, 27, 30, 33]
    assert sorted(map(int, g.thumbnails)) == [0, 3, 6, 9, 90, 93, 96, 99]  # the state keeps the first n_thumbs
    extra_bytes = sum(len(p) for p in pngs)
    assert extra_bytes <= sent.total() < extra_bytes + 600  # the new thumbnails and the `expanded` echo
    messages.clear()
    g.expanded = []  # collapsing sends nothing but the new `expanded`
    assert [d["method"] for d, _ in messages] == ["update"] and list(messages[0][0]["state"]) == ["expanded"]


def test_marked_syncs_both_ways_with_int_keys(clusters_gallery):
    g = clusters_gallery
    g.marked = {7: "minority"}
    assert g.get_state(["marked"]) == {"marked": {"7": "minority"}}
    g.set_state({"marked": {"2": "majority", "7": "minority"}})  # what the browser sends
    assert g.marked == {2: "majority", 7: "minority"}
    assert g.clusters_tagged("minority") == [7]


def test_bad_marks_are_refused_and_existing_marks_kept(clusters_gallery):
    g = clusters_gallery
    g.marked = {2: "majority"}
    with pytest.raises(ValueError, match=r"marked\[7\] must be one of \['minority', 'majority'\]; got 'rare'"):
        g.marked = {7: "rare"}
    with pytest.raises(ValueError, match="marked names cluster 5, which is not shown; clusters: \\[2, 7\\]"):
        g.marked = {5: "minority"}
    assert g.marked == {2: "majority"}


def test_set_clusters_drops_marks_of_vanished_clusters(clusters_gallery):
    g = clusters_gallery
    g.marked = {2: "majority", 7: "minority"}
    g.set_clusters(np.array([7] * 10), indices=np.arange(10))
    assert g.marked == {7: "minority"} and [s["cluster"] for s in g.sections] == [7]


def test_cluster_gallery_refuses_mismatched_clusters(pictures):
    with pytest.raises(ValueError, match="clusters has 3 entries but 150 images are shown"):
        ClusterGallery(pictures, [0, 1, 2])
    with pytest.raises(TypeError, match="clusters must be an integer array"):
        ClusterGallery(pictures[:2], [0.5, 1.5])


def test_gallery_selection_is_int64_ascending_and_validated(pictures):
    g = ImageGallery(pictures, page_size=10)
    g.selection = [9, 3, 3]
    assert g.selection.dtype == np.int64 and g.selection.tolist() == [3, 9]
    g.selection = np.arange(len(pictures)) == 4  # a boolean mask works too
    assert g.selection.tolist() == [4]
    assert g.get_state()["selection"] == [4]  # the view gets a JSON list of ints
    g.set_state({"selection": [7, 2]})  # clicks from the view, in click order
    assert g.selection.tolist() == [2, 7]
    with pytest.raises(Exception, match=rf"selection indices must be in 0..{len(pictures) - 1}"):
        g.selection = [len(pictures)]


def _custom_messages(widget):
    """(content, buffers) of every custom message `widget` sends from now on."""
    messages = []
    send = widget.comm.send

    def recording(data=None, metadata=None, buffers=None):
        if (data or {}).get("method") == "custom":
            messages.append((data["content"], [bytes(b) for b in buffers or []]))
        return send(data, metadata, buffers)

    widget.comm.send = recording
    return messages


def test_new_clusters_send_only_thumbnails_the_view_lacks_once_it_caches(clusters_gallery):
    from comm_recorder import CommRecorder

    g = clusters_gallery  # shows 0, 3, ..., 147; thumbnails of 7: 0 3 6 9, of 2: 90 93 96 99
    g.comm.handle_msg({"content": {"data": {"method": "custom", "content": {"kind": "cache"}}}, "buffers": []})
    sent = CommRecorder(gallery=g)
    custom = _custom_messages(g)
    # New clusters over the same images: 7 = 0, 3, 6, 12 (12 is new), 2 = 9, 90, 93, 96 (none new).
    shown = np.array([0, 3, 6, 12, 9, 90, 93, 96])
    g.set_clusters(np.array([7, 7, 7, 7, 2, 2, 2, 2]), indices=shown)
    assert [c for c, _ in custom] == [{"kind": "thumbs", "indices": [12]}]
    assert decode(custom[0][1][0])[0, 0, 0] == 12
    keys = {k for r in sent.records for k in r["keys"]}
    assert "thumbnails" not in keys and {"sections", "thumb_indices"} <= keys
    # Python's state is complete all the same (what a view opened later or an HTML export reads).
    assert g.thumb_indices == {"2": [9, 90, 93, 96], "7": [0, 3, 6, 12]}
    assert sorted(map(int, g.get_state(["thumbnails"])["thumbnails"])) == [0, 3, 6, 9, 12, 90, 93, 96]
    png_bytes = len(custom[0][1][0])
    assert png_bytes <= sent.total() < png_bytes + 1000  # one PNG + sections + indices, not 8 PNGs
    custom.clear()
    g.set_clusters(np.array([7, 7, 7, 7, 2, 2, 2, 2]), indices=shown)  # the same again: no picture at all
    assert custom == []
    # A view that lacks some thumbnails (opened after the update) asks for them.
    ask = {"kind": "need-thumbs", "indices": [12, 93, 147]}  # 147 is not a shown thumbnail
    g.comm.handle_msg({"content": {"data": {"method": "custom", "content": ask}}, "buffers": []})
    assert [c for c, _ in custom] == [{"kind": "thumbs", "indices": [12, 93]}]
    assert [decode(b)[0, 0, 0] for b in custom[0][1]] == [12, 93]


def test_without_a_caching_view_new_clusters_resend_the_thumbnails_state(clusters_gallery):
    g = clusters_gallery  # no view said "cache" (nbclient, marimo without custom messages)
    custom = _custom_messages(g)
    g.set_clusters(np.array([7, 7, 2, 2]), indices=np.array([0, 12, 93, 96]))
    assert custom == []
    assert sorted(map(int, g.thumbnails)) == [0, 12, 93, 96]


def test_new_clusters_show_thumbnails_the_view_holds_first(clusters_gallery):
    g = clusters_gallery  # the view holds 0 3 6 9 (cluster 7) and 90 93 96 99 (cluster 2)
    g.comm.handle_msg({"content": {"data": {"method": "custom", "content": {"kind": "cache"}}}, "buffers": []})
    custom = _custom_messages(g)
    # Cluster 5 holds three held images among lower-indexed new ones, cluster 8 one held image.
    shown = np.array([1, 2, 0, 4, 3, 5, 9, 12, 10, 11, 93, 13])
    g.set_clusters(np.array([5, 5, 5, 5, 5, 5, 5, 5, 8, 8, 8, 8]), indices=shown)
    assert g.thumb_indices == {"5": [0, 3, 9, 1], "8": [93, 10, 11, 13]}
    assert [c for c, _ in custom] == [{"kind": "thumbs", "indices": [1, 10, 11, 13]}]  # only those it lacks
    assert [decode(b)[0, 0, 0] for b in custom[0][1]] == [1, 10, 11, 13]
    indices, pngs = g.extra_thumbnails(5)  # "Show more" continues in the same order
    assert indices == [2, 4, 5, 12] and [decode(p)[0, 0, 0] for p in pngs] == [2, 4, 5, 12]
    assert g.cluster_indices(clusters=[5]).tolist() == [0, 1, 2, 3, 4, 5, 9, 12]  # exports stay sorted


def test_without_a_caching_view_the_shown_thumbnails_stay_first(clusters_gallery):
    g = clusters_gallery  # no view caches: what is shown now is what the state holds
    g.set_clusters(np.array([7, 7, 7, 7, 7, 2]), indices=np.array([1, 2, 6, 9, 12, 93]))
    assert g.thumb_indices == {"2": [93], "7": [6, 9, 1, 2]}
    assert sorted(map(int, g.thumbnails)) == [1, 2, 6, 9, 93]
