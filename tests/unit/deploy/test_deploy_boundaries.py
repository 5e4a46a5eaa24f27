"""``openbid.deploy`` ships the bidder and never imports it."""

import pkgutil
import subprocess
import sys

import openbid.deploy

BIDDER = ("bidder", "targeting", "catalog", "pricing", "server", "exchange", "notices")


def test_deploy_imports_no_bidder_module() -> None:
    modules = [
        m.name for m in pkgutil.walk_packages(openbid.deploy.__path__, prefix="openbid.deploy.")
    ]
    modules.append("openbid.commands.deploy_cmd")
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert len(modules) > 30
    forbidden = [m for m in loaded if m.split(".")[:2][-1] in BIDDER and m.startswith("openbid.")]
    assert forbidden == []
