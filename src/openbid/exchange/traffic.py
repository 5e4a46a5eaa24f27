"""The seeded stream of bid requests a run sends: synthetic ones, mixed with recorded ones varied.

The same profile, corpus and seed give the same requests, byte for byte, in the same order.
"""

import random
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from openbid.exchange.profile import Profile
from openbid.exchange.replay import read_requests
from openbid.exchange.synthetic import SyntheticRequests
from openbid.openrtb.codec import InvalidMessage, decode_request, encode_request
from openbid.openrtb.model import BidRequest, User

CORPUS_LABEL = "corpus"


class Generated(NamedTuple):
    """One request to send: the request, its exact bytes, and what kind of traffic it is."""

    request: BidRequest
    body: bytes
    label: str


class LoadedCorpus(NamedTuple):
    """Recorded requests that decode, and how many were left out because they do not."""

    bodies: list[bytes]
    skipped: int


def load_corpus(paths: Iterable[Path]) -> LoadedCorpus:
    """Requests from ``.json`` and ``.jsonl`` files; an exchange would not send undecodable ones."""
    bodies, skipped = [], 0
    for recorded in read_requests(paths):
        try:
            decode_request(recorded.body)
        except InvalidMessage:
            skipped += 1
            continue
        bodies.append(recorded.body)
    return LoadedCorpus(bodies, skipped)


class Traffic:
    """Draws the next request: from the corpus with the profile's share, else synthetic."""

    def __init__(self, profile: Profile, seed: int, corpus: list[bytes] | None = None) -> None:
        self._rng = random.Random(seed)
        self._prefix = f"s{seed}"
        self._count = 0
        self._synthetic = SyntheticRequests(profile)
        self._corpus = corpus or []
        self._corpus_share = profile.corpus.share if self._corpus else 0.0

    def next(self) -> Generated:
        """The next request of the stream."""
        self._count += 1
        request_id = f"{self._prefix}-{self._count}"
        if self._corpus_share and self._rng.random() < self._corpus_share:
            request = self._replayed(request_id)
            label = CORPUS_LABEL
        else:
            request, label = self._synthetic.build(request_id, self._rng)
        return Generated(request, encode_request(request), label)

    def _replayed(self, request_id: str) -> BidRequest:
        """A recorded request with a fresh id and user, floors moved by up to 20%."""
        rng = self._rng
        request = decode_request(self._corpus[rng.randrange(len(self._corpus))])
        request.id = request_id
        user_id = self._synthetic.user_id(rng)
        if request.user is None:
            request.user = User(id=user_id) if user_id else None
        else:
            request.user.id = user_id
        for imp in request.imp:
            if imp.bidfloor:
                imp.bidfloor = round(imp.bidfloor * rng.uniform(0.8, 1.2), 4)
        if request.tmax is None:
            request.tmax = self._synthetic.tmax(rng)
        return request
