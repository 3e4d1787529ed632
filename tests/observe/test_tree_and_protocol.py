"""The tree rows of a snapshot, the metrics address syntax and the control protocol's
refusals, without a running app."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from wippy.observe import ControlServer, RequestError, parse_address
from wippy.observe.tree import age_text, cells, rows


def proc(pid: str, parent: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"pid": pid, "parent": parent, "entry": "e", "host": "h", "kind": "wasm",
            "state": "suspended", "on": "sleep", "age": 1.0, "mailbox": 0, "names": [],
            "child_id": None, "restarts": None, **fields}


SNAPSHOT = {
    "processes": [
        proc("<h.1>", kind="supervisor", on="receive"),
        proc("<h.2>", "<h.1>", child_id="a", mailbox=5, restarts=0),
        proc("<h.3>", "<h.1>", child_id="b", mailbox=9, restarts=4),
        proc("<h.4>", "<h.3>", state="running", on=None),
        proc("<h.10>", "<local.9>"),  # its parent is gone: a root
    ],
    "supervisors": {"<h.1>": [{"id": "c", "pid": None, "state": "restarting",
                               "type": "worker", "process": "e", "restarts": 2}]},
}


def test_rows_form_a_tree_in_creation_order() -> None:
    lines = [cells(row)[0] for row in rows(SNAPSHOT)]
    assert lines == ["<h.1>", "├─ <h.2>", "├─ <h.3>", "│  └─ <h.4>", "└─ -", "<h.10>"]
    stopped = rows(SNAPSHOT)[4]
    assert cells(stopped)[1:8] == ["c", "e", "worker", "-", "restarting", "-", "2"]
    assert cells(rows(SNAPSHOT)[3])[5] == "running"
    assert cells(rows(SNAPSHOT)[0])[5] == "suspended receive"


def test_siblings_sort_and_a_filter_flattens() -> None:
    by_mailbox = [row.pid for row in rows(SNAPSHOT, "mailbox")]
    assert by_mailbox[:4] == ["<h.1>", "<h.3>", "<h.4>", "<h.2>"]
    by_restarts = [row.pid for row in rows(SNAPSHOT, "restarts")][1:4]
    assert by_restarts == ["<h.3>", "<h.4>", None]
    assert [cells(r)[0] for r in rows(SNAPSHOT, filter_text="running")] == ["<h.4>"]
    with pytest.raises(ValueError, match="unknown sort 'cpu'"):
        rows(SNAPSHOT, "cpu")


def test_ages_are_short() -> None:
    assert [age_text(s) for s in (4.24, 185, 7620, 273600)] == ["4.2s", "3m05s", "2h07m",
                                                                "3d04h"]


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1:9464", ("127.0.0.1", 9464)), ("[::1]:0", ("::1", 0)),
    ("localhost:80", ("localhost", 80)),
])
def test_metrics_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("9464", "expected HOST:PORT"), ("host.example:1", "is not an IP address"),
    ("127.0.0.1:x", "the port must be a number"), (":9464", "expected HOST:PORT"),
])
def test_bad_metrics_addresses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_address(text)


def talk(path: Path, *lines: bytes) -> list[dict[str, Any]]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(10)
        client.connect(str(path))
        reader = client.makefile("rb")
        answers = []
        for line in lines:
            client.sendall(line)
            answers.append(json.loads(reader.readline()))
        return answers


def test_the_protocol_answers_and_refuses(tmp_path: Path) -> None:
    def boom(request: dict[str, Any]) -> Any:
        raise RequestError(f"no {request.get('what')}")

    path = tmp_path / "s" / "control.sock"
    server = ControlServer(path, {"echo": lambda r: r["x"], "boom": boom}, app="t")
    try:
        answers = talk(path, b'{"op": "echo", "x": [1]}\n', b"not json\n", b'["op"]\n',
                       b'{"op": "nope"}\n', b'{"op": "boom", "what": "way"}\n',
                       b'{"op": "hello"}\n')
    finally:
        server.close()
    assert answers[0] == {"ok": True, "result": [1]}
    assert answers[1]["ok"] is False and answers[1]["error"].startswith("not a JSON request")
    assert answers[2] == {"ok": False, "error": 'a request is a JSON object with a string "op"'}
    assert answers[3]["error"] == "unknown request 'nope' (known: boom, echo, hello)"
    assert answers[4] == {"ok": False, "error": "no way"}
    assert answers[5]["result"]["app"] == "t"
    assert not path.exists()  # closing removes the socket
