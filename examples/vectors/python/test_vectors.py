"""A Python port's own unit tests, fed by tbjwt's portable test vectors (no tbjwt needed to run them).

    TBJWT_VECTORS=path/to/tbjwt_vectors.json PORT_DIR=path/to/port pytest test_vectors.py

The port is a module `tinybird_jwt` in PORT_DIR with `run_action(event, now_seconds)` returning
{"status", "error", "logs", "calls"}, as the bundled Python port does. Each vector is one test: the port
runs the event at the vector's clock, and its status, error name, logs and calls must be the reference's,
tokens compared decoded (header and claims), as `tbjwt check --level semantic` compares them.
"""

import base64
import json
import os
import sys

import pytest

VECTORS = json.load(open(os.environ["TBJWT_VECTORS"], encoding="utf-8"))
sys.path.insert(0, os.environ["PORT_DIR"])

from tinybird_jwt import run_action  # noqa: E402


def decoded(token):
    """A JWT's header and claims, or None when the value is not a JWT."""
    if not isinstance(token, str) or token.count(".") != 2 or not token.startswith("eyJ"):
        return None
    try:
        parts = [json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in token.split(".")[:2]]
    except ValueError:
        return None
    return {"header": parts[0], "claims": parts[1]}


def comparable(value):
    """Call arguments with each JWT replaced by its decoded header and claims."""
    return decoded(value) or value


def all_tests():
    for group in VECTORS["testGroups"]:
        for test in group["tests"]:
            yield pytest.param(test, id=f"{group['source']}-{test['tcId']}")


@pytest.mark.parametrize("test", list(all_tests()))
def test_vector(test):
    expected = test["expected"]
    outcome = run_action(test["event"], test["nowMs"] // 1000)
    why = f"{test['comment']} (flags: {', '.join(test['flags'])})"
    assert outcome["status"] == expected["status"], why
    assert (outcome["error"] or {}).get("name") == expected["errorName"], why
    assert outcome["logs"] == expected["logs"], why
    got = [(c["api"], [comparable(a) for a in c["args"]]) for c in outcome["calls"]]
    want = [(c["api"], [comparable(a) for a in c["args"]]) for c in expected["calls"]]
    assert got == want, why
