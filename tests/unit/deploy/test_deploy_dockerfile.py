"""infra/Dockerfile and .dockerignore, checked statically (no Docker engine here)."""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "infra" / "Dockerfile"
BUILD_TOOLS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|cmake|libc6-dev|curl)\b")
PINNED = re.compile(r"^[\w./-]+(:\d+\.\d+\.\d+[\w.-]*)?(@sha256:[0-9a-f]{64})?$")


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined."""

    keyword: str
    arguments: str


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, comments dropped and continuations joined."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            found.append(Instruction(keyword.upper(), " ".join(arguments.split())))
    return found


def stages() -> list[list[Instruction]]:
    """The build stages, each from its FROM on."""
    result: list[list[Instruction]] = []
    for instruction in instructions(DOCKERFILE.read_text()):
        if instruction.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(instruction)
    return result


def final() -> list[Instruction]:
    """The stage the image is made of."""
    return stages()[-1]


def only(keyword: str) -> Instruction:
    """The single instruction ``keyword`` of the final stage."""
    matches = [i for i in final() if i.keyword == keyword]
    assert len(matches) == 1, f"expected one {keyword} in the final stage, found {len(matches)}"
    return matches[0]


def test_multi_stage_on_a_pinned_slim_python() -> None:
    bases = [stage[0].arguments.split()[0] for stage in stages()]
    assert len(bases) >= 2
    for base in bases:
        assert base.startswith("python:3.11"), base
        assert "slim" in base, base
        assert PINNED.match(base), f"{base} is not pinned to a patch release or digest"
        assert ":" in base.split("@")[0] or "@sha256:" in base, base


def test_no_build_tools_in_the_final_stage() -> None:
    build = " ".join(i.arguments for i in stages()[0] if i.keyword == "RUN")
    assert BUILD_TOOLS.search(build), "the build stage is where compilers go"
    for instruction in final():
        if instruction.keyword == "RUN":
            assert not BUILD_TOOLS.search(instruction.arguments), instruction.arguments
    copies = [i.arguments for i in final() if i.keyword == "COPY"]
    assert copies == ["--from=build /opt/openbid /opt/openbid"]


def test_runs_as_a_non_root_user() -> None:
    user = only("USER").arguments.split(":")[0]
    assert user not in ("root", "0")
    assert int(user) >= 1000
    keywords = [i.keyword for i in final()]
    assert keywords.index("USER") > max(
        index for index, keyword in enumerate(keywords) if keyword in ("RUN", "COPY")
    ), "USER comes after everything that needs root"


def test_ports_signal_and_command() -> None:
    assert only("EXPOSE").arguments == "8080"
    assert only("STOPSIGNAL").arguments == "SIGTERM"
    assert only("ENTRYPOINT").arguments == '["openbid"]'
    assert only("CMD").arguments == '["serve", "--host", "0.0.0.0", "--port", "8080"]'


def test_healthcheck_probes_healthz_with_python() -> None:
    check = only("HEALTHCHECK").arguments
    assert "CMD" in check
    assert "/healthz" in check
    assert '"python"' in check
    assert "curl" not in check
    assert "wget" not in check


@pytest.mark.parametrize("excluded", [".git", ".venv", "tests", "bench", ".mypy_cache", "x.db"])
def test_dockerignore_sends_only_what_the_build_needs(excluded: str) -> None:
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "allow-list: ignore everything, then name what the build needs"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "src"}
    assert excluded not in allowed
    sources = {
        source
        for instruction in stages()[0]
        if instruction.keyword == "COPY"
        for source in instruction.arguments.split()[:-1]
    }
    assert sources == allowed
