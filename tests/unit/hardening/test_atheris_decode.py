"""A bounded libFuzzer (atheris) run over the decode path, seeded with the recorded requests."""

import shutil
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parents[2]
TARGET = TESTS / "fuzz" / "fuzz_decode.py"
SEEDS = TESTS / "fixtures" / "openrtb" / "bid-request"
RUNS = 100_000


def test_atheris_finds_no_crash_in_the_decode_path(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in SEEDS.rglob("*.json"):
        shutil.copy(seed, corpus / f"{seed.parent.name}-{seed.name}")
    result = subprocess.run(
        [
            sys.executable,
            str(TARGET),
            f"-runs={RUNS}",
            "-seed=1",  # the same inputs every run; `make fuzz` explores further
            "-max_total_time=60",
            "-max_len=4096",
            f"-dict={TARGET.parent / 'openrtb.dict'}",
            "-rss_limit_mb=1024",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr, result.stderr[-3000:]
