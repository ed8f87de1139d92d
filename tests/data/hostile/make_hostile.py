"""Write the hostile fixture set (rerun: python tests/data/hostile/make_hostile.py).

Every file here is something a training job could leave behind on purpose or by accident:
script in names and notes, paths in names, broken and binary files, odd numbers. Things git
cannot hold (links, FIFOs, a 2 GB file) are added at test time by tests/conftest.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "</script><script>alert(2)</script>",
    "'; alert(3); '",
    "{{ 7*7 }} ${7*7}",
    "\u2028\u2029 line separators",
]


def run(
    folder: Path, meta: dict[str, object], lines: list[bytes | str | dict[str, object]]
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps({"format": 1, **meta}, ensure_ascii=False))
    out = []
    for line in lines:
        if isinstance(line, dict):
            out.append(json.dumps(line, ensure_ascii=False).encode())
        elif isinstance(line, str):
            out.append(line.encode())
        else:
            out.append(line)
    (folder / "metrics.jsonl").write_bytes(b"\n".join(out) + b"\n")
    return folder


def main() -> None:
    for child in HERE.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
    evil = XSS[0] + XSS[1]
    xss = run(
        HERE / "xss" / "run-1",
        {
            "id": "xss-1",
            "name": evil,
            "experiment": XSS[1],
            "status": "Completed",
            "compute_target": XSS[2],
            "parent_id": XSS[3],
            "tags": {x: x for x in XSS},
            "properties": {"p": XSS[3]},
            "params": {x: x for x in XSS} | {"lr": 0.1},
            "description": "\n\n".join(
                [
                    "[click me](javascript:alert(1))",
                    "<script>alert(4)</script>",
                    '<img src="http://example.com/pixel.png"> <iframe src="https://example.com"></iframe>',
                    '<a href="#" onclick="alert(5)">raw html</a> <b onmouseover=alert(6)>bold</b>',
                    "![remote](https://example.com/tracker.png)",
                    "Plain **markdown** stays.",
                ]
            ),
            "start_time": "2026-01-01T00:00:00Z",
            "end_time": "2026-01-01T01:00:00Z",
        },
        [
            *({"kind": "scalar", "name": x, "value": i, "step": i} for i, x in enumerate(XSS)),
            *(
                {"kind": "scalar", "name": x, "value": i + 1, "step": i + 1}
                for i, x in enumerate(XSS)
            ),
            {"kind": "scalar", "name": "a.b[0]['c'] / \"d\"", "value": 1.0, "step": 0},
            {"kind": "scalar", "name": "a.b[0]['c'] / \"d\"", "value": 2.0, "step": 1},
            {"kind": "row", "name": XSS[3], "row": {XSS[0]: 1, XSS[1]: 2}},
            {"kind": "row", "name": XSS[3], "row": {XSS[0]: 2, XSS[1]: 3}},
            {
                "kind": "table",
                "name": "labels",
                "table": {"label": XSS, "p": list(range(len(XSS)))},
            },
            {"kind": "scalar", "name": "note", "value": XSS[0]},
        ],
    )
    (xss / "logs").mkdir()
    (xss / "logs" / "stdout.txt").write_bytes(
        ("\n".join(XSS) + "\n\x1b[31mred\x1b[0m\rprogress 100%\n\x00\x07bell\n").encode()
        + b"\xff\xfe not utf-8\n"
    )
    run(
        HERE / "values" / "run-1",
        {"id": "values-1", "name": "odd values", "experiment": "values"},
        [
            *(
                {"kind": "scalar", "name": "loss", "value": v, "step": s}
                for s, v in [
                    (0, 1.0),
                    (1, "NaN"),
                    (2, "Infinity"),
                    (3, "-Infinity"),
                    (4, 1e308),
                    (5, -0.0),
                    (5, 0.5),
                    (4, 0.4),
                    (10, -1e308),
                    (11, 5e-324),
                ]
            ),
            '{"kind": "scalar", "name": "loss", "value": NaN, "step": 12}',
            '{"kind": "scalar", "name": "huge", "value": ' + "9" * 400 + ', "step": 0}',
            '{"kind": "scalar", "name": "huge", "value": -' + "9" * 400 + ', "step": 1}',
            {"kind": "scalar", "name": "flag", "value": True},
            {"kind": "scalar", "name": "flag", "value": False},
            {"kind": "scalar", "name": "acc", "value": 0.5, "step": 0},
            {"kind": "scalar", "name": "acc", "value": "not a number", "step": 1},
            {"kind": "scalar", "name": "acc", "value": 0.7, "step": 2},
            {"kind": "list", "name": "mixed list", "values": [1, "two", None, 4.0]},
            {"kind": "scalar", "name": "nested", "value": {"a": [1, 2]}},
            {"kind": "table", "name": "ragged", "table": {"a": [1, 2, 3], "b": [1]}},
            {"kind": "all-NaN", "name": "x"},
            *({"kind": "scalar", "name": "all nan", "value": "NaN"} for _ in range(3)),
        ],
    )
    names = HERE / "names"
    for i, (rid, name, exp) in enumerate(
        [
            ("../../etc/passwd", "../../etc/passwd", "../../../tmp"),
            ("/abs/path/run", "/abs/path/run", "/etc"),
            ("x" * 300, "y" * 300, "z" * 300),
            ("Run", "Run", "Case"),
            ("run", "run", "case"),
            ("CON", "CON", "nul"),
            ("", "", ""),
            ("..", ".", "."),
            ('a/b\\c:d*e?f"g<h>i|j', "win-bad", "win:bad"),
        ]
    ):
        run(
            names / f"n{i}",
            {"id": rid, "name": name, "experiment": exp},
            [
                {"kind": "scalar", "name": "m", "value": i},
                {"kind": "scalar", "name": "m", "value": i + 1},
            ],
        )
    broken = HERE / "broken"
    run(broken / "garbage", {"id": "garbage"}, [bytes(range(256)) * 4, b"\x00" * 64])
    run(
        broken / "deep",
        {"id": "deep"},
        [
            "[" * 100_000 + "]" * 100_000,
            '{"a":' * 5000 + "1" + "}" * 5000,
            {"kind": "scalar", "name": "ok", "value": 1},
        ],
    )
    (broken / "empty-run").mkdir(parents=True)
    (broken / "empty-run" / "run.json").write_bytes(b"")
    (broken / "empty-run" / "metrics.jsonl").write_bytes(b"")
    (broken / "not-object").mkdir()
    (broken / "not-object" / "run.json").write_text("[1, 2, 3]")
    (broken / "cut").mkdir()
    (broken / "cut" / "metrics.jsonl").write_text(
        '{"kind": "scalar", "name": "loss", "value": 1}\n{"kind": "scalar", "name": "lo'
    )
    mlruns = HERE / "mlruns"
    (mlruns / "1" / "r1" / "metrics").mkdir(parents=True)
    (mlruns / "1" / "meta.yaml").write_text(f"experiment_id: '1'\nname: '{XSS[0]}'\n")
    (mlruns / "1" / "r1" / "meta.yaml").write_text("run_id: r1\nstatus: [unclosed\n")
    (mlruns / "2" / "r2" / "metrics").mkdir(parents=True)
    (mlruns / "2" / "meta.yaml").write_text("experiment_id: '2'\nname: ok\n")
    (mlruns / "2" / "r2" / "meta.yaml").write_text("run_id: r2\nstatus: 3\nstart_time: x\n")
    (mlruns / "2" / "r2" / "metrics" / "loss").write_bytes(
        b"1 1.0 0\n\xff\xfe garbage\n2 two 1\n3 0.5 2 extra fields here x\n4 inf 3\n"
    )
    lightning = HERE / "lightning" / "version_0"
    lightning.mkdir(parents=True)
    (lightning / "metrics.csv").write_text(
        "step,loss,acc\n0,1.0,0.5\n1,oops\n2,0.5,0.7,9\n3,,\n4,nan,inf\n"
    )
    (lightning / "hparams.yaml").write_text(
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    )
    hf = HERE / "hf"
    hf.mkdir()
    (hf / "trainer_state.json").write_text('{"log_history": [' + "[" * 50_000 + "]" * 50_000 + "]}")
    tb = HERE / "tb"
    tb.mkdir()
    (tb / "events.out.tfevents.1.evil").write_bytes(bytes(range(256)) * 16)
    keras = HERE / "keras"
    keras.mkdir()
    (keras / "history.csv").write_text('epoch,loss\n0,1.0\n1,"unterminated\n2,0.5\n')


if __name__ == "__main__":
    main()
