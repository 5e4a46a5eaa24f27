"""Templates in the ecspresso manner: Jinja2 with ``env``, ``must_env`` and ``ssm`` lookups.

The config file and the task definition template are both rendered here. ``ssm`` reads an SSM
parameter (decrypted) the first time it is asked for and remembers it; secrets meant for the
container belong in the task definition's ``secrets`` as ARNs, never read here.
"""

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from openbid.deploy.errors import ConfigError

ParameterReader = Callable[[str], str]


class Lookups:
    """The functions a template may call, with SSM reads cached for one run."""

    def __init__(self, read_parameter: ParameterReader | None = None) -> None:
        self._read_parameter = read_parameter
        self._parameters: dict[str, str] = {}

    def env(self, name: str, default: str = "") -> str:
        """An environment variable, or ``default`` when it is unset."""
        return os.environ.get(name, default)

    def must_env(self, name: str) -> str:
        """An environment variable that has to be set."""
        try:
            return os.environ[name]
        except KeyError:
            raise ConfigError(f"environment variable {name} is not set") from None

    def ssm(self, name: str) -> str:
        """An SSM parameter's value (SecureString parameters decrypted)."""
        if self._read_parameter is None:
            raise ConfigError(f"ssm({name!r}) cannot be read here: no AWS access configured")
        if name not in self._parameters:
            self._parameters[name] = self._read_parameter(name)
        return self._parameters[name]

    def functions(self) -> dict[str, Callable[..., str]]:
        """The lookups by the names templates use."""
        return {"env": self.env, "must_env": self.must_env, "ssm": self.ssm}


def render_template(path: Path, variables: Mapping[str, Any], lookups: Lookups) -> str:
    """Render the template at ``path``; a template mistake names the file and line."""
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.globals.update(lookups.functions())
    try:
        source = path.read_text()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return environment.from_string(source).render(**variables)
    except jinja2.TemplateSyntaxError as error:
        raise ConfigError(f"{path}:{error.lineno}: {error.message}") from None
    except jinja2.UndefinedError as error:
        raise ConfigError(f"{path}:{_template_line(error)}: {error.message}") from None


def _template_line(error: BaseException) -> str:
    """The template line an error was raised on (Jinja puts template frames in the traceback)."""
    line = "?"
    frame = error.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == "<template>":
            line = str(frame.tb_lineno)
        frame = frame.tb_next
    return line
