"""Is this rectification photo a disguised copy of another photo? (照片比对)

``compare(reference, candidate)`` answers for one pair, in three steps:

1. **Keypoints.** ORB keypoints of both photos at ``WORK_SIDE`` pixels (greyscale, contrast-equalised), of the
   candidate as it is and mirrored; matches kept by Lowe's ratio test.
2. **Geometry.** A homography found by RANSAC must explain at least ``MIN_INLIERS`` matches and map the
   candidate onto a sensible part of the reference. Crops, uneven scaling, small turns, mirroring, a
   screenshot and a photo of a screen are all homographies of the original; another place is not.
3. **What differs after alignment.** The candidate is warped onto the reference and both are cut into
   ``GRID`` × ``GRID`` blocks; a textured block whose normalised correlation with its counterpart stays under
   the pair's own bar (the typical block's correlation less ``TYPICAL_MARGIN``, between ``BLOCK_SAME`` and
   ``BLOCK_SAME_MOST``) has changed (correlation ignores brightness, contrast and colour casts; a
   black-and-white copy is also compared with the reference's colours mixed its way). Near-white text
   the reference lacks (a stamped timestamp, a watermark camera's band), groups of changed blocks at most two
   high and four times as wide (lines of text), lone changed blocks (noise of a harsh re-encoding) and the
   outer ring of blocks (a screen's bezel, a screenshot's bars) are left out. A copy changes (almost)
   nothing; a genuine fix from the same viewpoint changes the place where the problem was.

The verdict is ``copy`` when the photos align and the changed share of the compared area is at most
``MAX_CHANGED``; ``changed`` when they align but differ (the same place, something was done); ``unrelated``
when no geometry explains them. ``comparison_image`` draws the pair aligned with the changed blocks marked,
for the verifier.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
from PIL import Image

WORK_SIDE = 640
ORB_FEATURES = 1500
RATIO = 0.8
MIN_INLIERS = 25
SURE_INLIERS = 150
MIN_INLIER_SHARE = 0.25
RANSAC_PIXELS = 6.0
RANSAC_SEED = 20261206
GRID = 16
BLOCK_SAME = 0.5
BLOCK_SAME_MOST = 0.75
TYPICAL_MARGIN = 0.2
MIN_BLOCK_STD = 4.0
FLAT_CHANGE_STD = 12.0
GREY_SPREAD = 3.0
MAX_CHANGED = 0.06
BLUR = 1.5
SHIFT = 2
STAMP_LEVEL = 225
STAMPED_SHARE = 0.03

Verdict = Literal["copy", "changed", "unrelated"]
Array = np.ndarray


Points = tuple[Array, Array | None]


@dataclass
class Prepared:
    """A photo ready to compare: the working copy in colour and grey, and its keypoints; those of its mirror
    image are found when first needed (most copies are not mirrored)."""

    grey: Array
    points: Points
    colour: Array = field(repr=False)
    _mirrored: Points | None = field(default=None, repr=False)

    def keypoints(self, mirrored: bool) -> Points:
        if not mirrored:
            return self.points
        if self._mirrored is None:
            self._mirrored = _points(np.ascontiguousarray(self.grey[:, ::-1]))
        return self._mirrored


@dataclass(frozen=True)
class Comparison:
    verdict: Verdict
    inliers: int = 0
    mirrored: bool = False
    changed: float = 1.0  # share of the compared blocks that differ
    overlap: float = 0.0  # share of the reference the candidate covers
    homography: tuple[float, ...] = ()
    changed_blocks: tuple[tuple[int, int], ...] = ()

    @property
    def is_copy(self) -> bool:
        return self.verdict == "copy"


_orb = cv2.ORB.create(nfeatures=ORB_FEATURES, scaleFactor=1.2, nlevels=8, fastThreshold=12)
_matcher = cv2.BFMatcher(cv2.NORM_HAMMING)


def _working(im: Array) -> Array:
    h, w = im.shape[:2]
    scale = WORK_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(im, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def _points(grey: Array) -> Points:
    keypoints, descriptors = _orb.detectAndCompute(cv2.equalizeHist(grey), None)
    coords = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    return coords, descriptors


def prepare_array(bgr: Array) -> Prepared:
    small = _working(bgr)
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    return Prepared(grey, _points(grey), small)


def prepare_image(im: Image.Image) -> Prepared:
    rgb = np.asarray(im.convert("RGB"))
    return prepare_array(np.ascontiguousarray(rgb[:, :, ::-1]))


def prepare_bytes(data: bytes) -> Prepared:
    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (WORK_SIDE * 2, WORK_SIDE * 2))
        return prepare_image(im)


def _homography(reference: Points, candidate: Points) -> tuple[Array | None, int]:
    (ref_xy, ref_desc), (cand_xy, cand_desc) = reference, candidate
    if ref_desc is None or cand_desc is None or len(ref_desc) < 2 or len(cand_desc) < 2:
        return None, 0
    pairs = _matcher.knnMatch(cand_desc, ref_desc, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_INLIERS:
        return None, 0
    source = cand_xy[[m.queryIdx for m in good]]
    target = ref_xy[[m.trainIdx for m in good]]
    cv2.setRNGSeed(RANSAC_SEED)  # the same pair always gets the same verdict (and the same drawing later)
    matrix, mask = cv2.findHomography(source, target, cv2.RANSAC, RANSAC_PIXELS, maxIters=2000)
    if matrix is None or mask is None:
        return None, 0
    inliers = int(mask.sum())
    if inliers < MIN_INLIERS or inliers < MIN_INLIER_SHARE * len(good):
        return None, inliers
    return matrix, inliers


def _sensible(matrix: Array, candidate_shape: tuple[int, ...], reference_shape: tuple[int, ...]) -> bool:
    """The candidate's outline lands as a convex quadrilateral of plausible size on the reference."""
    h, w = candidate_shape[:2]
    corners = cv2.perspectiveTransform(
        np.array([[[0, 0]], [[w, 0]], [[w, h]], [[0, h]]], dtype=np.float32), matrix
    )
    quad = corners.reshape(4, 2)
    if not cv2.isContourConvex(quad.astype(np.float32)):
        return False
    ratio = cv2.contourArea(quad) / float(reference_shape[0] * reference_shape[1])
    return 0.15 <= ratio <= 8.0


def _blocks(
    reference: Array, warped: Array, mask: Array, stamped: Array, remixed_reference: Array | None
) -> tuple[Array, Array]:
    """Per block: whether it can be compared (inside the overlap, textured, not stamped with text) and how
    alike it is to its counterpart (normalised correlation, at the best of small shifts of ``SHIFT`` pixels,
    so an alignment a pixel or two off does not read as a change; ``-1`` when only one side has texture)."""
    h, w = reference.shape
    compared = np.zeros((GRID, GRID), bool)
    alike = np.ones((GRID, GRID), np.float32)
    ref = cv2.GaussianBlur(reference.astype(np.float32), (0, 0), BLUR)
    cand = cv2.GaussianBlur(warped.astype(np.float32), (0, 0), BLUR)
    remixed = None
    if remixed_reference is not None:
        remixed = cv2.GaussianBlur(remixed_reference.astype(np.float32), (0, 0), BLUR)
    for row in range(GRID):
        for col in range(GRID):
            y0, y1 = row * h // GRID, (row + 1) * h // GRID
            x0, x1 = col * w // GRID, (col + 1) * w // GRID
            if mask[y0:y1, x0:x1].mean() < 0.95 or stamped[y0:y1, x0:x1].mean() > STAMPED_SHARE:
                continue
            a = ref[y0:y1, x0:x1]
            sa = float(a.std())
            ys0, xs0 = max(0, y0 - SHIFT), max(0, x0 - SHIFT)
            b = cand[ys0 : min(h, y1 + SHIFT), xs0 : min(w, x1 + SHIFT)]
            sb = float(cand[y0:y1, x0:x1].std())
            if sa < MIN_BLOCK_STD and sb < MIN_BLOCK_STD:
                continue  # flat in both (sky, a bare wall): says nothing
            if sa < MIN_BLOCK_STD or sb < MIN_BLOCK_STD:
                # Texture on one side only: something was there or was put there, unless the texture is
                # faint enough for a harsh re-encoding to have made or erased it.
                if max(sa, sb) >= FLAT_CHANGE_STD:
                    compared[row, col], alike[row, col] = True, -1.0
                continue
            compared[row, col] = True
            correlation = float(cv2.matchTemplate(b, a, cv2.TM_CCOEFF_NORMED).max())
            if remixed is not None and remixed[y0:y1, x0:x1].std() >= MIN_BLOCK_STD:
                again = cv2.matchTemplate(b, remixed[y0:y1, x0:x1], cv2.TM_CCOEFF_NORMED)
                correlation = max(correlation, float(again.max()))
            alike[row, col] = correlation
    return compared, alike


def _same_enough(alike: Array, compared: Array) -> float:
    """The correlation under which a block has changed, for this pair: ``BLOCK_SAME`` at least, higher
    when the pair is otherwise close (a faithful copy's blocks correlate near 1, so a removed pile that
    still shares a building's edges stands out), never above ``BLOCK_SAME_MOST``. A harshly degraded copy
    (heavy re-encoding, a screen's moiré) lowers the typical block's correlation and the bar with it."""
    values = alike[compared & (alike > -1)]
    if values.size == 0:
        return BLOCK_SAME
    typical = float(np.median(values))
    return min(BLOCK_SAME_MOST, max(BLOCK_SAME, typical - TYPICAL_MARGIN))


def _black_and_white(colour: Array) -> bool:
    channels = colour.astype(np.int16)
    spread = np.abs(channels[:, :, 0] - channels[:, :, 1]) + np.abs(channels[:, :, 1] - channels[:, :, 2])
    return float(spread.mean()) < GREY_SPREAD


def _remixed(reference_colour: Array, warped: Array, mask: Array) -> Array:
    """The reference's colours mixed into grey with the weights that best give the candidate's grey (one
    least-squares fit over the whole overlap): a photo turned black and white with other weights than ours,
    or recoloured channel by channel, compares like for like. One mix for the whole picture, so a block's
    own content cannot be fitted away."""
    inside = mask[::4, ::4]
    design = reference_colour[::4, ::4][inside].reshape(-1, 3).astype(np.float64)
    target = warped[::4, ::4][inside].reshape(-1).astype(np.float64)
    if target.size < 16:
        return cv2.cvtColor(reference_colour, cv2.COLOR_BGR2GRAY)
    design = np.column_stack([design, np.ones(target.size)])
    weights, *_rest = np.linalg.lstsq(design, target, rcond=None)
    mixed = reference_colour.reshape(-1, 3).astype(np.float64) @ weights[:3] + weights[3]
    return np.clip(mixed, 0, 255).reshape(reference_colour.shape[:2]).astype(np.uint8)


def _stamped(reference: Array, warped: Array) -> Array:
    """Pixels where the candidate is near white and the reference is not: text stamped on the photo (a
    timestamp, a watermark camera's place name)."""
    bright = (warped >= STAMP_LEVEL).astype(np.uint8)
    added = bright & (reference < STAMP_LEVEL - 40).astype(np.uint8)
    return cv2.dilate(added, np.ones((5, 5), np.uint8)).astype(bool)


def _isolated(changed: Array) -> Array:
    """Changed blocks none of whose four neighbours changed: noise of a harsh re-encoding, not an object."""
    padded = np.pad(changed, 1)
    neighbours = padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]
    return changed & ~neighbours


def _without_text_lines(changed: Array) -> Array:
    """Drop groups of changed blocks at most two blocks high and at least four times as wide as high: the
    shape of a stamped line or two of text, not of a removed pile or poster."""
    count, labels, stats, _centroids = cv2.connectedComponentsWithStats(
        changed.astype(np.uint8), connectivity=8
    )
    kept = changed.copy()
    for label in range(1, count):
        width, height = int(stats[label, cv2.CC_STAT_WIDTH]), int(stats[label, cv2.CC_STAT_HEIGHT])
        if height <= 2 and width >= 4 * height:
            kept[labels == label] = False
    return kept


def compare(reference: Prepared, candidate: Prepared) -> Comparison:
    matrix, inliers = _homography(reference.points, candidate.points)
    mirrored = False
    if matrix is None or inliers < SURE_INLIERS:  # a straight copy mostly aligns firmly at the first attempt
        flipped, flipped_inliers = _homography(reference.points, candidate.keypoints(mirrored=True))
        if flipped is not None and flipped_inliers > inliers:
            matrix, inliers, mirrored = flipped, flipped_inliers, True
    if matrix is None:
        return Comparison("unrelated", inliers=inliers)
    source = candidate.grey[:, ::-1] if mirrored else candidate.grey
    if not _sensible(matrix, source.shape, reference.grey.shape):
        return Comparison("unrelated", inliers=inliers, mirrored=mirrored)
    h, w = reference.grey.shape
    warped = cv2.warpPerspective(np.ascontiguousarray(source), matrix, (w, h))
    ones = np.full(source.shape, 255, np.uint8)
    mask = cv2.erode(cv2.warpPerspective(ones, matrix, (w, h)), np.ones((9, 9), np.uint8)) > 0
    stamped = _stamped(reference.grey, warped)
    # A black-and-white copy was made with its own weights of the colours: compare it with the reference
    # mixed the same way. Only then: a second chance for every block would pass genuine changes too.
    remixed = _remixed(reference.colour, warped, mask) if _black_and_white(candidate.colour) else None
    compared, alike = _blocks(reference.grey, warped, mask, stamped, remixed)
    compared[[0, -1], :] = compared[:, [0, -1]] = False  # the edge: a screen's bezel, a screenshot's bars
    changed = alike < _same_enough(alike, compared)
    changed = _without_text_lines(changed) & compared
    changed &= ~_isolated(changed)
    total = int(compared.sum())
    share = float(changed.sum()) / total if total else 1.0
    verdict: Verdict = "copy" if total >= GRID * GRID // 8 and share <= MAX_CHANGED else "changed"
    return Comparison(
        verdict,
        inliers=inliers,
        mirrored=mirrored,
        changed=round(share, 4),
        overlap=round(float(mask.mean()), 4),
        homography=tuple(float(v) for v in matrix.ravel()),
        changed_blocks=tuple((int(r), int(c)) for r, c in zip(*np.nonzero(changed), strict=True)),
    )


# --- what the verifier sees ---------------------------------------------------------------------------------

PANEL_SIDE = 480
CHANGED_COLOUR = (40, 40, 230)  # BGR red


def _outline(panel: Array, blocks: tuple[tuple[int, int], ...]) -> Array:
    h, w = panel.shape[:2]
    for row, col in blocks:
        top_left = (col * w // GRID, row * h // GRID)
        bottom_right = ((col + 1) * w // GRID - 1, (row + 1) * h // GRID - 1)
        cv2.rectangle(panel, top_left, bottom_right, CHANGED_COLOUR, 2)
    return panel


def comparison_image(reference: Prepared, candidate: Prepared, result: Comparison) -> bytes:
    """Three panels side by side, as JPEG: the reference, the candidate turned onto it (mirrored back when it
    was mirrored) and their difference, the changed blocks outlined in red on each."""
    h, w = reference.grey.shape
    ref = reference.colour.copy()
    source = candidate.colour[:, ::-1] if result.mirrored else candidate.colour
    if result.homography:
        matrix = np.array(result.homography, dtype=np.float64).reshape(3, 3)
        aligned = cv2.warpPerspective(np.ascontiguousarray(source), matrix, (w, h))
    else:
        aligned = cv2.resize(source, (w, h), interpolation=cv2.INTER_AREA)
    difference = cv2.absdiff(
        cv2.equalizeHist(reference.grey), cv2.equalizeHist(cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY))
    )
    heat = cv2.applyColorMap(cv2.GaussianBlur(difference, (0, 0), 2), cv2.COLORMAP_INFERNO)
    panels = [_outline(p, result.changed_blocks) for p in (ref, aligned, heat)]
    scale = PANEL_SIDE / max(h, w)
    size = (round(w * scale), round(h * scale))
    gap = np.full((size[1], 8, 3), 255, np.uint8)
    row = [cv2.resize(p, size, interpolation=cv2.INTER_AREA) for p in panels]
    strip = np.hstack([row[0], gap, row[1], gap, row[2]])
    ok, data = cv2.imencode(".jpg", strip, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise ValueError("could not encode the comparison")
    return bytes(data)
