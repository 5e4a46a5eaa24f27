"""atheris (libFuzzer) target for the bid request decode path.

Run: ``python tests/fuzz/fuzz_decode.py [libFuzzer flags] [CORPUS_DIR ...]``. Every input must be
either decoded into a request the bidder then answers, or refused with ``InvalidRequest`` and a
reason; anything else raised is a crash that libFuzzer reports with the input that caused it.
"""

import sys
import time

import atheris

with atheris.instrument_imports(include=["openbid"]):
    from openbid.bidder.config import BidderConfig
    from openbid.bidder.pipeline import Bidder
    from openbid.bidder.snapshot import compile_catalog
    from openbid.catalog.source import BuiltinSource
    from openbid.notices.signing import SigningKeys
    from openbid.openrtb.codec import InvalidRequest, decode_request

CONFIG = BidderConfig(signing_keys=SigningKeys({"fuzz": b"f" * 32}, "fuzz"))
BIDDER = Bidder(CONFIG, compile_catalog(BuiltinSource().load(), CONFIG.seat))
BIDDER.point_notices_at("http://127.0.0.1:1")


def test_one_input(data: bytes) -> None:
    """Decode ``data`` as a bid request and, when it is one, bid on it."""
    try:
        request = decode_request(data)
    except InvalidRequest as error:
        if not error.reason:
            raise AssertionError("refused without a reason") from None
        return
    BIDDER.bid(request, time.monotonic() + 1.0)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
