"""Background photo derivatives: twelve-megapixel originals per second on one core.

Per original: draft decode, 1600 px display copy with the burned-in watermark, 320 px thumbnail, perceptual
hash, both JPEGs written atomically (as the worker does: rename, no fsync).
One process, one thread: the figure is per core.

    .venv/bin/python bench/derivatives.py [--seconds 20] [--size 4000x3000]
Target (bench/README.md, "Targets"): ≥ 8 per second per core.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("CHUANGWEN_VAR_DIR", tempfile.mkdtemp(prefix="cw-bench-derivatives-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")


def original(seed: int, size: tuple[int, int]) -> bytes:
    """A photo-like original, re-encoded as the ingest stores it (JPEG quality 85)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    width, height = size
    coarse = rng.uniform(0, 255, (12, 16, 3)).astype("uint8")
    im = Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC)
    grain = rng.normal(0, 6, (height, width, 3))
    im = Image.fromarray(np.clip(np.asarray(im, dtype=np.float32) + grain, 0, 255).astype("uint8"))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--size", default="4000x3000")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    import django

    django.setup()
    from chuangwen.evidence.derivatives import WatermarkText, cjk_font_path, render
    from chuangwen.evidence.storage import durable_write

    originals = [original(seed, size) for seed in range(4)]  # type: ignore[arg-type]
    text = WatermarkText("西湖大道", "P0001", datetime.now(UTC), 30.05, 120.02, "张三", "zhangsan", "ab" * 32)
    out_dir = Path(tempfile.mkdtemp(prefix="cw-bench-out-"))
    render(originals[0], text)  # warm-up: font loading
    timings: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < args.seconds:
        data = originals[len(timings) % len(originals)]
        t0 = time.perf_counter()
        display, thumb, _ = render(data, text)
        durable_write(out_dir / f"d{len(timings) % 8}.jpg", display, sync=False)
        durable_write(out_dir / f"t{len(timings) % 8}.jpg", thumb, sync=False)
        timings.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    mp = size[0] * size[1] / 1e6
    print(f"originals: {size[0]}×{size[1]} ({mp:.1f} MP), {len(originals[0]) / 1024:.0f} KB JPEG")
    print(f"font: {cjk_font_path() or 'none (ASCII fallback)'}")
    print(f"{len(timings)} originals in {elapsed:.1f} s on one core: {len(timings) / elapsed:.1f} per second")
    ms = sorted(t * 1000 for t in timings)
    print(f"per original: p50 {statistics.median(ms):.0f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.0f} ms")
    print("target: ≥ 8 per second per core")


if __name__ == "__main__":
    main()
