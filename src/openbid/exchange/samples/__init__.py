"""Sample bid requests that exercise the demo catalog: banner, app, native, video, audio, deals."""

from pathlib import Path


def sample_paths() -> list[Path]:
    """The sample request files, in name order."""
    return sorted(Path(__file__).parent.glob("*.json"))
