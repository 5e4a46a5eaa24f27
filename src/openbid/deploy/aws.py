"""AWS clients for the deploy, and AWS errors turned into readable ``DeployError``s.

Clients honour ``--endpoint-url`` (and ``AWS_ENDPOINT_URL``, which botocore reads itself), use
botocore's standard retry mode, and say who is calling in the user agent.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from openbid import __version__
from openbid.deploy.errors import (
    ConfigError,
    DeployError,
    MissingResourceError,
    PermissionDeniedError,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client
    from mypy_boto3_ssm import SSMClient

DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
MISSING = frozenset(
    {
        "ClusterNotFoundException",
        "ServiceNotFoundException",
        "ServiceNotActiveException",
        "TargetGroupNotFound",
        "ListenerNotFound",
        "LoadBalancerNotFound",
        "ParameterNotFound",
    }
)


@dataclass(frozen=True)
class Aws:
    """Where and how to reach AWS."""

    region: str | None = None
    endpoint_url: str | None = None

    @staticmethod
    def _config() -> Config:
        return Config(
            retries={"mode": "standard", "max_attempts": 8},
            user_agent_extra=f"openbid/{__version__}",
        )

    def ecs(self) -> "ECSClient":
        """An ECS client."""
        import boto3  # noqa: PLC0415 - boto3 loads only when AWS is called

        with aws_errors():
            return boto3.client(
                "ecs",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=self._config(),
            )

    def elbv2(self) -> "ElasticLoadBalancingv2Client":
        """An Elastic Load Balancing v2 client."""
        import boto3  # noqa: PLC0415 - boto3 loads only when AWS is called

        with aws_errors():
            return boto3.client(
                "elbv2",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=self._config(),
            )

    def ssm(self) -> "SSMClient":
        """An SSM client."""
        import boto3  # noqa: PLC0415 - boto3 loads only when AWS is called

        with aws_errors():
            return boto3.client(
                "ssm",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=self._config(),
            )

    def cloudwatch(self) -> "CloudWatchClient":
        """A CloudWatch client."""
        import boto3  # noqa: PLC0415 - boto3 loads only when AWS is called

        with aws_errors():
            return boto3.client(
                "cloudwatch",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=self._config(),
            )

    def read_parameter(self, name: str) -> str:
        """An SSM parameter's value, decrypted; for ``{{ ssm("...") }}`` in templates."""
        with aws_errors():
            response = self.ssm().get_parameter(Name=name, WithDecryption=True)
        return response["Parameter"].get("Value", "")


def error_code(error: ClientError) -> str:
    """The AWS error code of a failed call."""
    return str(error.response.get("Error", {}).get("Code", ""))


def translate(error: ClientError) -> DeployError:
    """A readable ``DeployError`` for an AWS error, by its code."""
    code = error_code(error)
    message = error.response.get("Error", {}).get("Message", "") or code
    if code in DENIED:
        return PermissionDeniedError(
            f"AWS refused {error.operation_name} ({code}): {message} — check the credentials in "
            "use and that their role allows this call"
        )
    if code in MISSING:
        return MissingResourceError(f"{error.operation_name}: {message} ({code})")
    return DeployError(f"AWS {error.operation_name} failed ({code}): {message}")


@contextmanager
def aws_errors(missing: str | None = None, codes: frozenset[str] = MISSING) -> Iterator[None]:
    """Turn botocore exceptions raised inside into ``DeployError``s with readable messages.

    ``missing`` replaces AWS's own words when the error says a resource (one of ``codes``) does
    not exist, so the message can name the config key that points at it.
    """
    try:
        yield
    except ClientError as error:
        if missing is not None and error_code(error) in codes:
            raise MissingResourceError(missing) from None
        raise translate(error) from None
    except (NoCredentialsError, PartialCredentialsError):
        raise PermissionDeniedError(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or run where an instance or task role is available"
        ) from None
    except NoRegionError:
        raise ConfigError(
            "no AWS region: set `region` in the deploy config, pass --region or set AWS_REGION"
        ) from None
    except EndpointConnectionError as error:
        raise DeployError(f"cannot reach AWS: {error}") from None
    except BotoCoreError as error:
        raise DeployError(f"AWS call failed: {error}") from None
