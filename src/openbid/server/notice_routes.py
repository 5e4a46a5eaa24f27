"""The notice endpoints on the bid port: ``GET /notice/{win,bill,loss,imp,click}``."""

from functools import partial

from openbid.notices.receiver import NoticeReceiver
from openbid.notices.urls import KINDS
from openbid.server.http import Handler, HttpRequest, HttpResponse

NOTICE_PATH = "/notice"
_NO_STORE = (b"Cache-Control", b"no-store")


class NoticeRoutes:
    """Answers notices through a :class:`NoticeReceiver`."""

    def __init__(self, receiver: NoticeReceiver) -> None:
        self.receiver = receiver

    def routes(self) -> dict[str, dict[str, Handler]]:
        """Path -> method -> handler for every notice kind."""
        return {f"{NOTICE_PATH}/{kind}": {"GET": partial(self.notice, kind=kind)} for kind in KINDS}

    def notice(self, request: HttpRequest, kind: str) -> HttpResponse:
        """``GET /notice/KIND?...``: 2xx (302 for a click with a landing page), 400/403/410."""
        answer = self.receiver.receive(kind, request.query)
        headers: tuple[tuple[bytes, bytes], ...] = (_NO_STORE,)
        if answer.location is not None:
            headers += ((b"Location", answer.location.encode()),)
        return HttpResponse(answer.status, answer.body, answer.content_type, headers)
