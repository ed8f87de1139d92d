"""Values kept between the builds of one process (runreport.memo), and the site files made
with them: a rebuild in the same process (as ``runreport serve`` makes them) shows what
changed and keeps what did not."""

from __future__ import annotations

from pathlib import Path

import orjson
from conftest import write_run
from tests_helpers import data_file

from runreport.build import BuildConfig, build_site
from runreport.memo import ByObject


class Thing:
    def __init__(self, value: int) -> None:
        self.value = value


def test_a_value_is_made_once_per_object_and_let_go_when_a_build_does_not_ask() -> None:
    made: list[int] = []

    def make(t: Thing) -> int:
        made.append(t.value)
        return t.value * 10

    memo = ByObject(make)
    a, b = Thing(1), Thing(1)
    assert memo(a) == 10 and memo(a) == 10 and made == [1]
    assert memo(b) == 10 and made == [1, 1]  # an equal object is another object
    memo.next_build()
    assert memo(a) == 10 and made == [1, 1]  # asked in the build before: kept
    memo.next_build()
    memo.next_build()
    assert memo(b) == 10 and made == [1, 1, 1]  # not asked for a whole build: made again


def _index(site: Path) -> dict[str, dict[str, object]]:
    runs: dict[str, dict[str, object]] = data_file(site / "data" / "index.js")["runs"]
    return runs


def _last(site: Path) -> dict[str, dict[str, float]]:
    index = orjson.loads((site / "runs.json").read_bytes())
    return {r["id"]: r["last"] for r in index["runs"]}


def test_rebuilds_in_one_process_show_a_changed_run_and_keep_the_others(
    tmp_path: Path,
) -> None:
    logs, site = tmp_path / "logs", tmp_path / "site"
    for k in range(3):
        write_run(
            logs,
            f"r{k}",
            [{"kind": "scalar", "name": "loss", "value": k + i, "step": i} for i in range(3)],
        )
    config = BuildConfig(inputs=(logs,), output=site)
    build_site(config)
    before, before_last = _index(site), _last(site)
    (slug,) = [s for s, r in before.items() if r["name"] == "r1"]
    assert before[slug]["summaries"] == {"loss": {"count": 3, "last": "3", "min": "1", "max": "3"}}

    write_run(
        logs,
        "r1",
        [{"kind": "scalar", "name": "loss", "value": 0.5, "step": i} for i in range(4)],
        params={"lr": 0.1},
    )
    build_site(config)
    after, after_last = _index(site), _last(site)
    assert after[slug]["summaries"] == {
        "loss": {"count": 4, "last": "0.5", "min": "0.5", "max": "0.5"}
    }
    assert after[slug]["params"] == {"lr": "0.1"}
    assert after_last[slug] == {"loss": 0.5}
    assert {s: r for s, r in after.items() if s != slug} == {
        s: r for s, r in before.items() if s != slug
    }
    assert {s: v for s, v in after_last.items() if s != slug} == {
        s: v for s, v in before_last.items() if s != slug
    }
