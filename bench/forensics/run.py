"""Rectification photos that are disguised copies: how many are caught, how many genuine fixes are wrongly
flagged, and what a check costs as the photo store grows. The old check (64-bit perceptual hash within 6 bits,
found by a linear scan) runs beside it on the same photos as the baseline.

    .venv/bin/python bench/forensics/run.py                       # 40 scenes, stores of 10k, 100k and 1M
    .venv/bin/python bench/forensics/run.py --scenes 10 --sizes 10000
    .venv/bin/python bench/forensics/run.py --scenes 100 --first-seed 3000 --sizes 10000   # another set

Photos come from ``chuangwen/evidence/tests/scenes.py`` (seeded street scenes with a problem; every disguise
kind; genuine fixes from the same viewpoint; fixes of another place). Seeds start at 1000, away from the
tests' seeds.

1. **The same photo as the problem** (a fix photo compared with the case's own problem photo): keypoint
   comparison (``evidence.forensics.compare``) against the hash within ``CASES_PHASH_MAX_DISTANCE`` bits.
2. **Reuse of another case's photo**: the problem photos are stored as other cases' photos among filler rows;
   each disguised copy is looked up through the hash band index (its own and its mirror image's hash,
   ``CASES_REUSE_CANDIDATE_BITS``) and its candidates compared by keypoints, as ``cases.photochecks`` does.
3. **Time per check** at each store size: the band lookup (``derivatives.similar``) and the whole reuse check
   (lookup, reading and comparing the candidates), p50 / p99; the baseline's linear scan beside it.
Filler rows carry random hashes (a store of real street photos clusters more; see docs/evidence.md).
Targets: ≥ 95 % of every disguise kind flagged, ≤ 2 % false flags, ≤ 100 ms per check at 1 M photos.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("CHUANGWEN_VAR_DIR", tempfile.mkdtemp(prefix="cw-bench-forensics-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")

FIRST_SEED = 1000
GENUINE = ("genuine_fix", "another_place")
FILLER = "evidence/bench/filler.jpg"


def thumb_hash(bgr: object) -> str:
    """The perceptual hash as the worker makes it: of the 320 px thumbnail."""
    import numpy as np
    from PIL import Image

    from chuangwen.evidence.derivatives import phash

    im = Image.fromarray(np.asarray(bgr)[:, :, ::-1])
    im.thumbnail((320, 320))
    return phash(im)


def photos(scenes_count: int, first_seed: int = FIRST_SEED) -> list[tuple[int, bytes, dict[str, bytes]]]:
    """Per scene: its seed, the problem photo as JPEG, and each variant (disguises and genuine fixes)."""
    from chuangwen.evidence.tests import scenes

    out = []
    for seed in range(first_seed, first_seed + scenes_count):
        problem = scenes.problem_photo(seed)
        variants = {kind: scenes.disguise(problem, kind, seed) for kind in sorted(scenes.DISGUISES)}
        variants["genuine_fix"] = scenes.genuine_fix(seed)
        variants["another_place"] = scenes.another_place(seed)
        out.append((seed, scenes.jpeg_bytes(problem), {k: scenes.jpeg_bytes(v) for k, v in variants.items()}))
    return out


def rate(hits: int, total: int) -> str:
    return f"{hits:>3}/{total:<3} {100 * hits / total:5.1f} %" if total else "-"


def same_as_problem(data: list[tuple[int, bytes, dict[str, bytes]]]) -> None:
    from django.conf import settings

    from chuangwen.evidence import forensics
    from chuangwen.evidence.derivatives import hamming

    limit = int(settings.CASES_PHASH_MAX_DISTANCE)
    new: dict[str, int] = {}
    old: dict[str, int] = {}
    times: list[float] = []
    for _seed, problem, variants in data:
        reference = forensics.prepare_bytes(problem)
        problem_hash = thumb_hash(decode(problem))
        for kind, photo in variants.items():
            started = time.perf_counter()
            result = forensics.compare(reference, forensics.prepare_bytes(photo))
            times.append(time.perf_counter() - started)
            new[kind] = new.get(kind, 0) + result.is_copy
            old[kind] = old.get(kind, 0) + (hamming(problem_hash, thumb_hash(decode(photo))) <= limit)
    print("\n1. The problem photo passed off as the fix (compared with the case's own problem photo)")
    report(new, old, len(data))
    print(f"   keypoint comparison per pair (one photo prepared, both compared): p50 {ms(times, 50)}, "
          f"p99 {ms(times, 99)}")  # fmt: skip


def decode(data: bytes) -> object:
    import cv2
    import numpy as np

    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def report(new: dict[str, int], old: dict[str, int], total: int) -> None:
    print(f"   {'kind':<14} {'keypoints (new)':>18} {'hash ≤ 6 bits (old)':>22}")
    for kind in new:
        label = f"{kind} (false flag)" if kind in GENUINE else kind
        print(f"   {label:<28} {rate(new[kind], total):>18} {rate(old[kind], total):>22}")
    disguises = [k for k in new if k not in GENUINE]
    worst = min(disguises, key=lambda k: new[k])
    every = total * len(disguises)
    print(f"   all disguises: new {rate(sum(new[k] for k in disguises), every)}, "
          f"old {rate(sum(old[k] for k in disguises), every)}")  # fmt: skip
    print(f"   worst kind (new): {worst} {rate(new[worst], total)}")


def ms(values: list[float], q: int) -> str:
    ordered = sorted(values)
    return f"{1000 * ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]:.1f} ms"


def store(data: list[tuple[int, bytes, dict[str, bytes]]]) -> dict[int, int]:
    """The problem photos taken in as other cases' photos (stored files, hashes and bands): seed → id."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from chuangwen.accounts.models import User
    from chuangwen.evidence.derivatives import bands
    from chuangwen.evidence.models import Evidence

    user = User.objects.create(username="bench-forensics")
    ids = {}
    for seed, problem, _variants in data:
        name = default_storage.save(f"evidence/bench/{seed}.jpg", ContentFile(problem))
        value = thumb_hash(decode(problem))
        row = Evidence.objects.create(
            client_id=uuid.uuid4(),
            sha256=f"{seed:064x}",
            file=name,
            uploader=user,
            phash=value,
            **bands(value),
        )
        ids[seed] = row.pk
    return ids


def fill(total: int, batch: int = 20_000) -> None:
    """Filler rows with random hashes up to ``total`` stored photos (bulk inserts, no files)."""
    from chuangwen.accounts.models import User
    from chuangwen.evidence.derivatives import bands
    from chuangwen.evidence.models import Evidence

    user = User.objects.get(username="bench-forensics")
    rng = random.Random(total)
    while (have := Evidence.objects.count()) < total:
        rows = []
        for _n in range(min(batch, total - have)):
            value = f"{rng.getrandbits(64):016x}"
            row = Evidence(client_id=uuid.UUID(int=rng.getrandbits(128)), sha256=rng.randbytes(32).hex(),
                           file=FILLER, uploader=user, phash=value, **bands(value))  # fmt: skip
            rows.append(row)
        Evidence.objects.bulk_create(rows, batch_size=5000)


def reuse(data: list[tuple[int, bytes, dict[str, bytes]]], ids: dict[int, int], sizes: list[int],
          queries: int, baseline_queries: int) -> None:  # fmt: skip
    import numpy as np
    from django.conf import settings

    from chuangwen.cases.photochecks import Prints
    from chuangwen.evidence import forensics
    from chuangwen.evidence.derivatives import hamming, near_duplicates, similar
    from chuangwen.evidence.models import Evidence

    bits, limit = int(settings.CASES_REUSE_CANDIDATE_BITS), int(settings.CASES_REUSE_CANDIDATES)
    old_limit = int(settings.CASES_PHASH_MAX_DISTANCE)
    hashes = dict(Evidence.objects.filter(pk__in=ids.values()).values_list("pk", "phash"))
    hashes = {seed: hashes[pk] for seed, pk in ids.items()}
    for size in sizes:
        fill(size)
        new: dict[str, int] = {}
        old: dict[str, int] = {}
        lookups: list[float] = []
        checks: list[float] = []
        scans: list[float] = []
        done = 0
        for seed, _problem, variants in data:
            for kind, photo in variants.items():
                started = time.perf_counter()
                prepared = forensics.prepare_bytes(photo)
                value = thumb_hash(decode(photo))
                mirror = thumb_hash(np.ascontiguousarray(np.asarray(decode(photo))[:, ::-1]))
                looked = time.perf_counter()
                candidates = similar([value, mirror], bits, None, limit)
                lookups.append(time.perf_counter() - looked)
                prints = Prints()
                flagged = False
                for pk, _distance in candidates:
                    if pk not in ids.values():
                        continue  # a filler row has no file; a real store would compare it too
                    other = prints.of(Evidence.objects.get(pk=pk))
                    if other is not None and forensics.compare(other, prepared).is_copy:
                        flagged = flagged or pk == ids[seed]
                checks.append(time.perf_counter() - started)
                new[kind] = new.get(kind, 0) + flagged
                # The old check flags the pair when the hashes are within the limit (what its scan finds).
                old[kind] = old.get(kind, 0) + (hamming(value, hashes[seed]) <= old_limit)
                if done < baseline_queries:
                    scanned = time.perf_counter()
                    near_duplicates(value, old_limit)
                    scans.append(time.perf_counter() - scanned)
                done += 1
                if done >= queries:
                    break
            if done >= queries:
                break
        total = max(1, done // len(data[0][2]))
        print(f"\n2./3. Reuse of another case's photo, {Evidence.objects.count():,} stored photos")
        report(new, old, total)
        print(f"   band lookup p50 {ms(lookups, 50)}, p99 {ms(lookups, 99)}")
        print(f"   whole check (prepare the photo, lookup, compare the candidates) p50 {ms(checks, 50)}, "
              f"p99 {ms(checks, 99)}")  # fmt: skip
        print(f"   baseline linear scan p50 {ms(scans, 50)}, p99 {ms(scans, 99)} ({len(scans)} queries)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenes", type=int, default=40)
    parser.add_argument("--first-seed", type=int, default=FIRST_SEED, help="another set of scenes")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--baseline-queries", type=int, default=30, help="linear scans timed per size")
    args = parser.parse_args()
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    data = photos(args.scenes, args.first_seed)
    made = time.perf_counter() - started
    print(f"{args.scenes} scenes, {len(data[0][2])} variants each, made in {made:.0f} s")
    same_as_problem(data)
    ids = store(data)
    sizes = [int(s) for s in args.sizes.split(",")]
    queries = args.scenes * len(data[0][2])
    reuse(data, ids, sizes, queries, args.baseline_queries)
    print("\nTargets: ≥ 95 % of every disguise kind flagged, ≤ 2 % false flags, ≤ 100 ms per check at 1 M.")


if __name__ == "__main__":
    main()
