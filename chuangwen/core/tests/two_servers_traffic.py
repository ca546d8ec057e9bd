"""The client side of the two-server test (test_two_servers.py): photo uploads, citizen reports and case
actions sent to both servers as phones and browsers send them, and what each acknowledged."""

from __future__ import annotations

import http.client
import json
import secrets
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from chuangwen.evidence.tests.photos import jpeg

UPLOADERS = 3
TIMEOUT = 30.0

# --- talking to the servers as clients do ------------------------------------------------------------------

Answer = tuple[int, dict[str, Any], dict[str, str]] | None  # status, JSON body, headers; None: no answer


def send(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> Answer:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException):
        return None  # refused, reset or cut: nothing was acknowledged
    try:
        data = (
            json.loads(raw)
            if raw and response.getheader("Content-Type", "").startswith("application/json")
            else {}
        )
    except ValueError:
        data = {}
    return response.status, data, {k.lower(): v for k, v in response.getheaders()}


def multipart(fields: dict[str, str], files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    for name, data in files.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="IMG.jpg"\r\n'
        parts.append(head.encode() + b"Content-Type: image/jpeg\r\n\r\n" + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(port: int, seed: dict[str, Any], client_id: str, data: bytes) -> Answer:
    fields = {"client_id": client_id, "round_id": str(seed["round_id"]), "site_id": str(seed["site_id"])}
    body, content_type = multipart(fields, {"file": data})
    headers = {"Content-Type": content_type, "Authorization": f"Token {seed['inspector']}"}
    return send(port, "POST", "/api/v1/evidence", body, headers)


def report(port: int, seed: dict[str, Any], client_id: str, data: bytes) -> Answer:
    """The public form /s/ as a phone's browser posts it (CSRF cookie and field, one photo)."""
    csrf = secrets.token_hex(16)  # Django accepts its own 32-character secret as cookie and field alike
    fields = {
        "csrfmiddlewaretoken": csrf, "category": seed["category"], "description": "路口垃圾堆放多日无人清理",
        "lat": "30.05", "lng": "120.02", "client_id": client_id,
    }  # fmt: skip
    body, content_type = multipart(fields, {"photos": data})
    return send(port, "POST", "/s/", body, {"Content-Type": content_type, "Cookie": f"csrftoken={csrf}"})


def act(port: int, token: str, case_id: int, action: str, payload: dict[str, Any]) -> Answer:
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    return send(
        port, "POST", f"/api/v1/cases/{case_id}/actions/{action}", json.dumps(payload).encode(), headers
    )


def at_once(*calls: Callable[[], Answer]) -> list[Answer]:
    """Run the calls in threads released together (the same client id to both servers at the same time)."""
    results: list[Answer] = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(i: int) -> None:
        gate.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- what the clients saw ----------------------------------------------------------------------------------


@dataclass
class Seen:
    """Every answer of every request, by what it was about; filled from several threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    uploads: dict[str, list[tuple[str, Answer]]] = field(default_factory=lambda: defaultdict(list))
    reports: dict[str, list[tuple[str, Answer]]] = field(default_factory=lambda: defaultdict(list))
    actions: dict[int, list[tuple[str, str, Answer]]] = field(default_factory=lambda: defaultdict(list))
    sent: Counter[str] = field(default_factory=Counter)

    def note(self, kind: str, key: Any, *entry: Any) -> None:
        with self.lock:
            getattr(self, kind)[key].append(entry)
            self.sent[kind] += 1

    def unanswered(self) -> int:
        with self.lock:
            kinds = (self.uploads, self.reports)
            lost = sum(answer is None for kind in kinds for v in kind.values() for _server, answer in v)
            return lost + sum(a is None for v in self.actions.values() for _s, _a, a in v)

    def acked_uploads(self) -> int:
        with self.lock:
            return sum(any(a and a[0] in (200, 201) for _, a in v) for v in self.uploads.values())


def servers_in_turn(ports: dict[str, int], i: int) -> tuple[str, str]:
    return ("a", "b") if i % 2 == 0 else ("b", "a")


def uploader(
    ports: dict[str, int],
    seed: dict[str, Any],
    photos: list[bytes],
    seen: Seen,
    stop: threading.Event,
    n: int,
) -> None:
    i = n
    while not stop.is_set():
        # Every other photo is new bytes (its object exists only if this upload stored it); the others repeat
        # a few photos, so that two servers store the same object at once.
        data = jpeg(seed=1000 + i, size=(320, 240)) if i % 2 else photos[i % len(photos)]
        client_id = str(uuid.uuid4())
        first, other = servers_in_turn(ports, i)
        # Each uploader keeps one way (i ≡ n mod 3): resend every photo through the other server, send each
        # to both at once, or resend only after no answer (or a 5xx).
        if i % 3 == 1:  # the same client id to both servers at once
            answers = at_once(
                partial(upload, ports[first], seed, client_id, data),
                partial(upload, ports[other], seed, client_id, data),
            )
            seen.note("uploads", client_id, first, answers[0])
            seen.note("uploads", client_id, other, answers[1])
        else:
            answer = upload(ports[first], seed, client_id, data)
            seen.note("uploads", client_id, first, answer)
            if answer is None or answer[0] >= 500 or i % 3 == 0:  # the phone resends through the other server
                seen.note("uploads", client_id, other, upload(ports[other], seed, client_id, data))
        i += UPLOADERS


def reporter(
    ports: dict[str, int], seed: dict[str, Any], photos: list[bytes], seen: Seen, stop: threading.Event
) -> None:
    i = 0
    while not stop.is_set():
        client_id, data = str(uuid.uuid4()), photos[(i * 7) % len(photos)]
        first, other = servers_in_turn(ports, i)
        if i % 2 == 0:
            answers = at_once(
                partial(report, ports[first], seed, client_id, data),
                partial(report, ports[other], seed, client_id, data),
            )
            seen.note("reports", client_id, first, answers[0])
            seen.note("reports", client_id, other, answers[1])
        else:
            answer = report(ports[first], seed, client_id, data)
            seen.note("reports", client_id, first, answer)
            seen.note("reports", client_id, other, report(ports[other], seed, client_id, data))
        i += 1


def case_actor(ports: dict[str, int], seed: dict[str, Any], seen: Seen) -> None:
    """Each case once: one action to each server at the same moment, both read at the same version."""
    reason = {"reason": "现场复核仍有垃圾"}
    plans: list[tuple[dict[str, Any], str, str, dict[str, Any], str, str, dict[str, Any]]] = []
    for case in seed["cases"]["same_accept"]:
        same = {"expected_version": case["version"]}
        plans.append((case, "handler", "accept", same, "handler", "accept", same))
    for case in seed["cases"]["accept_or_return"]:
        v = {"expected_version": case["version"]}
        plans.append((case, "handler", "accept", v, "handler", "request_return", {**v, **reason}))
    for case in seed["cases"]["pass_or_fail"]:
        v = {"expected_version": case["version"]}
        plans.append((case, "verifier", "verify_pass", v, "verifier", "verify_fail", {**v, **reason}))
    for case in seed["cases"]["same_fail"]:  # no version: the second one finds the case already in rework
        plans.append((case, "verifier", "verify_fail", reason, "verifier", "verify_fail", reason))
    plans = plans[0::2] + plans[1::2]  # interleave the groups so that each meets the kill
    for j, (case, who_a, action_a, body_a, who_b, action_b, body_b) in enumerate(plans):
        first, other = servers_in_turn(ports, j)
        answers = at_once(
            partial(act, ports[first], seed[who_a], case["id"], action_a, body_a),
            partial(act, ports[other], seed[who_b], case["id"], action_b, body_b),
        )
        seen.note("actions", case["id"], first, action_a, answers[0])
        seen.note("actions", case["id"], other, action_b, answers[1])
        time.sleep(0.15)


# --- the test ----------------------------------------------------------------------------------------------
