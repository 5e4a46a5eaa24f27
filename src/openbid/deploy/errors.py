"""What can go wrong in a deploy, each with the exit code the CLI gives it.

Exit code 2: what was asked is wrong (a bad config file, an invalid task definition, a resource
the config names that does not exist, a target group the listener does not forward to).
Exit code 1: it could not be done (permission denied, a wait that failed or timed out, a canary
already in the way, a missing tool).
"""


class DeployError(Exception):
    """A deploy problem with a readable message; never shown as a traceback."""

    exit_code = 1


class ConfigError(DeployError):
    """The config file, the template or the rendered task definition is wrong."""

    exit_code = 2


class MissingResourceError(DeployError):
    """A cluster, service, target group, listener or revision the config names does not exist."""

    exit_code = 2


class NotAttachedError(DeployError):
    """A target group that must take traffic is not in the listener's forward action."""

    exit_code = 2


class PermissionDeniedError(DeployError):
    """AWS refused a call for lack of permission or valid credentials."""


class WaitFailedError(DeployError):
    """Something waited for went wrong (a task stopped, a rollout failed) or took too long."""


class ConflictError(DeployError):
    """The deploy is in a state where this verb cannot go on (e.g. another canary is live)."""


class ToolMissingError(DeployError):
    """A program the verb runs is not installed (the session-manager plugin for exec)."""


class MetricsError(DeployError):
    """A metrics provider could not be reached, refused a query, or answered nonsense."""
