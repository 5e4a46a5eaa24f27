"""Known vulnerabilities in the installed dependencies: ``make audit`` (pip-audit).

Runs pip-audit on the environment this interpreter belongs to (openbid itself, installed
editable, is left out) and prints what it found. Exit status: 0 when no dependency has a known
vulnerability, 1 when one has, 2 when nothing could be audited (pip-audit failed, or the
advisory service answered for no package) and ``--require-service`` (or
``OPENBID_AUDIT_REQUIRED=1``) says that is a failure. Without it an unreachable service is
reported, loudly, and not failed: a machine whose only way out is a package mirror can run the
rest of CI. ``--report FILE`` reads a saved ``pip-audit --format json`` report instead of
running it.
"""

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
COMMAND = [
    *(str(PIP_AUDIT), "--format", "json", "--skip-editable", "--progress-spinner", "off"),
    *("--timeout", "10"),  # per request: an unreachable service must not stall CI per package
]
TIMEOUT_SECONDS = 180


@dataclass(frozen=True, slots=True)
class Finding:
    """One known vulnerability of one installed package."""

    package: str
    version: str
    advisory: str
    fixed_in: str


@dataclass(frozen=True, slots=True)
class Audit:
    """What a pip-audit report says: packages audited, skipped (and why), findings."""

    audited: int
    skipped: dict[str, str]
    findings: list[Finding]


class AuditError(Exception):
    """pip-audit did not produce a report."""


def parse_report(text: str) -> Audit:
    """The figures of a ``pip-audit --format json`` report."""
    try:
        report = json.loads(text)
        dependencies = report["dependencies"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise AuditError(f"not a pip-audit JSON report: {error}") from None
    skipped: dict[str, str] = {}
    findings: list[Finding] = []
    audited = 0
    for dependency in dependencies:
        name = dependency["name"]
        if "skip_reason" in dependency:
            skipped[name] = dependency["skip_reason"]
            continue
        audited += 1
        for vuln in dependency.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            findings.append(Finding(name, dependency["version"], vuln["id"], fixed))
    return Audit(audited, skipped, findings)


def run_pip_audit() -> str:
    """pip-audit's JSON report of this environment."""
    if not PIP_AUDIT.exists():
        raise AuditError(f"{PIP_AUDIT} is missing: run `make test` (or pip install pip-audit)")
    try:
        done = subprocess.run(
            COMMAND, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise AuditError(f"pip-audit did not finish within {TIMEOUT_SECONDS} s") from None
    if not done.stdout.strip():  # pip-audit exits 1 on findings but still writes its report
        last = done.stderr.strip().splitlines()[-1:] or ["no message"]  # the error, not a traceback
        raise AuditError(f"pip-audit exited {done.returncode}: {last[0][:500]}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    """Audit, print, and exit 0 (clean), 1 (vulnerable) or 2 (could not audit, required)."""
    parser = argparse.ArgumentParser(description="pip-audit of the installed dependencies.")
    parser.add_argument("--report", type=Path, help="read this pip-audit JSON report instead")
    parser.add_argument(
        "--require-service",
        action="store_true",
        default=os.environ.get("OPENBID_AUDIT_REQUIRED") == "1",
        help="fail (exit 2) when no package could be audited",
    )
    args = parser.parse_args(argv)
    try:
        text = args.report.read_text() if args.report else run_pip_audit()
        audit = parse_report(text)
    except (AuditError, OSError) as error:
        return unaudited(str(error), args.require_service)
    if audit.audited == 0:
        reasons = sorted(set(audit.skipped.values()))
        detail = f"{len(audit.skipped)} packages skipped, e.g. {reasons[0] if reasons else '-'}"
        reason = f"the advisory service answered for no package ({detail})"
        return unaudited(reason, args.require_service)
    print(f"pip-audit: {audit.audited} packages audited, {len(audit.skipped)} skipped")
    for name, reason in sorted(audit.skipped.items()):
        print(f"  skipped {name}: {reason}")
    for finding in audit.findings:
        print(
            f"  VULNERABLE {finding.package} {finding.version}: {finding.advisory}"
            f" (fixed in {finding.fixed_in})"
        )
    if audit.findings:
        print(f"pip-audit: {len(audit.findings)} known vulnerabilities")
        return 1
    print("pip-audit: no known vulnerabilities")
    return 0


def unaudited(reason: str, required: bool) -> int:
    """Say the dependencies were not audited; 2 when that is required to fail."""
    print(f"pip-audit: NOT AUDITED: {reason}", file=sys.stderr)
    if required:
        return 2
    print("pip-audit: not failing (set OPENBID_AUDIT_REQUIRED=1 to fail)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
