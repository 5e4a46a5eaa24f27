"""Accept OpenRTB 2.5 requests: promote 2.5-era ``ext`` locations into their 2.6 fields.

Before 2.6, GDPR, CCPA, consent, extended IDs and the supply chain travelled in ``ext`` objects
(the IAB's community extensions). 2.6 gave them first-class fields. :func:`normalize` copies
each such value into its 2.6 field when that field is absent, so the rest of the bidder reads
only the 2.6 location. A 2.6 field already present always wins. The ``ext`` dicts themselves
are left exactly as received, so nothing changes for whoever re-encodes them.
"""

from __future__ import annotations

from typing import Any

import msgspec

from openbid.openrtb.model import EID, BidRequest, Regs, Source, SupplyChain, User

__all__ = ["normalize"]


def normalize(req: BidRequest) -> BidRequest:
    """Promote 2.5 extension values into 2.6 fields, in place; returns ``req``.

    Costs a few attribute checks when there is nothing to promote. A malformed value in an
    extension (wrong type, an EID that does not fit the model) is skipped, never fatal: the
    extension is advisory and the request is otherwise valid.
    """
    regs = req.regs
    if regs is not None and regs.ext:
        _promote_regs(regs, regs.ext)
    user = req.user
    if user is not None and user.ext:
        _promote_user(user, user.ext)
    source = req.source
    if source is not None and source.ext and source.schain is None:
        _promote_source(source, source.ext)
    return req


def _as_flag(value: Any) -> int | None:
    # JSON numbers decode to int; true/false to bool (a subclass of int) -> 1/0.
    if isinstance(value, int):
        return int(value)
    return None


def _promote_regs(regs: Regs, ext: dict[str, Any]) -> None:
    if regs.gdpr is None:
        regs.gdpr = _as_flag(ext.get("gdpr"))
    if regs.us_privacy is None:
        value = ext.get("us_privacy")
        if isinstance(value, str):
            regs.us_privacy = value


def _promote_user(user: User, ext: dict[str, Any]) -> None:
    if user.consent is None:
        value = ext.get("consent")
        if isinstance(value, str):
            user.consent = value
    if user.eids is None:
        value = ext.get("eids")
        if isinstance(value, list) and value:
            eids = _convert_eids(value)
            if eids:
                user.eids = eids


def _convert_eids(items: list[Any]) -> list[EID]:
    eids: list[EID] = []
    for item in items:
        try:
            eids.append(msgspec.convert(item, EID))
        except msgspec.ValidationError:
            continue
    return eids


def _promote_source(source: Source, ext: dict[str, Any]) -> None:
    value = ext.get("schain")
    if isinstance(value, dict):
        try:
            source.schain = msgspec.convert(value, SupplyChain)
        except msgspec.ValidationError:
            return
