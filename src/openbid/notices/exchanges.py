"""Per-exchange notice options, from the file ``openbid serve --exchanges-config`` names.

The file maps exchange names to their options; every name gets its bid path, as with
``--exchanges``. Secrets are never written in the file, only where to find them::

    adx:
      bill_on: nurl                  # spend on the win notice (default: burl, the billing notice)
      price_encryption:              # ${AUCTION_PRICE} comes encrypted (Google Authorized Buyers)
        encryption_key: {env: ADX_ENCRYPTION_KEY}
        integrity_key: {file: /run/secrets/adx-integrity-key}
    rubicon: {}
"""

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import msgspec
import yaml

from openbid.notices.encrypted_price import PriceCrypto

EXCHANGE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


class ExchangeConfigError(Exception):
    """The exchanges file cannot be used; the message names the bad entry."""


class BillOn(StrEnum):
    """Which notice the exchange bills on, and so which one spends budget."""

    BURL = "burl"
    NURL = "nurl"


class _Spec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of the file's structs: unknown keys are errors."""


class SecretRef(_Spec):
    """Where a secret is: an environment variable or a file (such as a mounted secret)."""

    env: str | None = None
    file: str | None = None


class PriceEncryptionSpec(_Spec):
    """The two keys of the encrypted-price scheme, each web-safe base64."""

    encryption_key: SecretRef
    integrity_key: SecretRef


class ExchangeSpec(_Spec):
    """One exchange's entry in the file."""

    bill_on: BillOn = BillOn.BURL
    price_encryption: PriceEncryptionSpec | None = None


@dataclass(frozen=True, slots=True)
class ExchangeOptions:
    """What notices from one exchange need: the billing notice and how to read prices."""

    bill_on: BillOn = BillOn.BURL
    crypto: PriceCrypto | None = None


DEFAULT_OPTIONS = ExchangeOptions()


def _secret(path: str, ref: SecretRef) -> str:
    if (ref.env is None) == (ref.file is None):
        raise ExchangeConfigError(f"{path}: give exactly one of `env` or `file`")
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if not value:
            raise ExchangeConfigError(f"{path}: environment variable {ref.env} is not set")
        return value
    try:
        return Path(str(ref.file)).read_text().strip()
    except OSError as error:
        raise ExchangeConfigError(f"{path}: cannot read {ref.file}: {error.strerror}") from None


def _options(name: str, spec: ExchangeSpec) -> ExchangeOptions:
    crypto = None
    if spec.price_encryption is not None:
        path = f"{name}.price_encryption"
        keys = spec.price_encryption
        try:
            crypto = PriceCrypto.from_text(
                _secret(f"{path}.encryption_key", keys.encryption_key),
                _secret(f"{path}.integrity_key", keys.integrity_key),
            )
        except ValueError as error:
            raise ExchangeConfigError(f"{path}: {error}") from None
    return ExchangeOptions(bill_on=spec.bill_on, crypto=crypto)


def parse_exchanges(data: object, source: str) -> dict[str, ExchangeOptions]:
    """Exchange name -> options from the file's parsed content; raises ExchangeConfigError."""
    if data is None:
        return {}
    try:
        specs = msgspec.convert(data, dict[str, ExchangeSpec])
    except msgspec.ValidationError as error:
        raise ExchangeConfigError(f"{source}: {error}") from None
    bad = [name for name in specs if not EXCHANGE_NAME.fullmatch(name)]
    if bad:
        raise ExchangeConfigError(
            f"{source}: exchange names are lower-case letters, digits, '.', '_' or '-': "
            + ", ".join(bad)
        )
    return {name: _options(name, spec) for name, spec in specs.items()}


def load_exchanges(path: Path) -> dict[str, ExchangeOptions]:
    """Read and check an exchanges file; raises ExchangeConfigError."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ExchangeConfigError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ExchangeConfigError(f"{path}: not YAML: {error}") from None
    return parse_exchanges(data, str(path))
