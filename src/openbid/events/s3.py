"""The S3 sink: finished files spooled on local disk, uploaded by a thread of their own.

Files are made exactly as for a local directory (:class:`~openbid.events.files.FileSink`) in a
spool directory; an uploader thread copies each finished file to
``s3://BUCKET/PREFIX/dt=.../hour=.../NAME`` (boto3's transfer manager: multipart above the
threshold, parts in parallel) and deletes it once S3 has it. When S3 cannot be reached the file
stays in the spool and the uploader retries with exponential backoff, by itself; a later process
spooling to the same directory uploads what an earlier one left. An upload is idempotent (same
key, same bytes), so a file uploaded twice after a crash is still one object.
"""

import logging
import random
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from openbid.events.files import STAGING, FileSink
from openbid.events.schema import Event

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger("openbid.events")

FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
FAILURE_LOG_INTERVAL = 30.0


class S3Uploader:
    """Uploads finished files of a spool directory to S3 and deletes them, retrying forever."""

    def __init__(
        self,
        client: "S3Client",
        bucket: str,
        prefix: str,
        spool: Path,
        transfer: TransferConfig,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix.strip("/")
        self._spool = spool
        self._transfer = transfer
        self._max_backoff = max_backoff
        self._wake = threading.Event()
        self._stopping = False
        self._deadline = float("inf")
        self._last_failure_log = -FAILURE_LOG_INTERVAL
        self.uploaded = 0
        """Files uploaded since start."""
        self.failures = 0
        """Upload attempts that failed since start."""
        self._thread = threading.Thread(target=self._run, name="openbid-s3-upload", daemon=True)
        self._thread.start()

    def notify(self, path: Path) -> None:
        """A file was finished in the spool: upload it now rather than at the next retry."""
        self._wake.set()

    def pending(self) -> list[Path]:
        """Finished files waiting in the spool, oldest name first."""
        staging = self._spool / STAGING
        return sorted(
            path
            for path in self._spool.rglob("*")
            if path.is_file() and staging not in path.parents and not path.name.startswith(".")
        )

    def key_of(self, path: Path) -> str:
        """The object key of a spooled file: the prefix, then its path under the spool."""
        relative = path.relative_to(self._spool).as_posix()
        return f"{self._prefix}/{relative}" if self._prefix else relative

    def close(self, deadline: float) -> bool:
        """Keep uploading until the spool is empty or ``deadline``; True when it is empty."""
        self._deadline = deadline
        self._stopping = True
        self._wake.set()
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return not self.pending()

    def _run(self) -> None:
        backoff = FIRST_BACKOFF
        while True:
            # Read before scanning: every file finished before close() was called is then seen.
            stopping = self._stopping
            failed = False
            for path in self.pending():
                if time.monotonic() >= self._deadline:
                    return
                if not self._upload(path):
                    failed = True
                    break
            if stopping and not failed:
                return
            if failed:
                delay = backoff * random.uniform(0.5, 1.0)
                backoff = min(backoff * 2, self._max_backoff)
            else:
                delay, backoff = float("inf"), FIRST_BACKOFF
            timeout = min(delay, self._deadline - time.monotonic())
            if timeout <= 0:
                return
            self._wake.wait(None if timeout == float("inf") else timeout)
            self._wake.clear()

    def _upload(self, path: Path) -> bool:
        key = self.key_of(path)
        try:
            self._client.upload_file(str(path), self._bucket, key, Config=self._transfer)
        except FileNotFoundError:
            return True  # another process sharing the spool uploaded it first
        except (BotoCoreError, ClientError, OSError) as error:
            self.failures += 1
            now = time.monotonic()
            if now - self._last_failure_log >= FAILURE_LOG_INTERVAL:
                self._last_failure_log = now
                log.warning(
                    "cannot upload events to s3://%s/%s (%s); %d files kept in %s, retrying",
                    self._bucket,
                    key,
                    error,
                    len(self.pending()),
                    self._spool,
                )
            return False
        path.unlink(missing_ok=True)
        self.uploaded += 1
        return True


class S3Sink:
    """A file sink in a spool directory whose finished files an :class:`S3Uploader` ships."""

    def __init__(self, files: FileSink, uploader: S3Uploader) -> None:
        self._files = files
        self._uploader = uploader

    def write(self, events: Sequence[Event]) -> None:
        """Journal the batch in the spool."""
        self._files.write(events)

    def tick(self) -> None:
        """Rotate spooled journals; finished files wake the uploader."""
        self._files.tick()

    def close(self, deadline: float) -> bool:
        """Finish every file, then upload until the spool is empty or ``deadline``."""
        self._files.close(deadline)
        return self._uploader.close(deadline)
