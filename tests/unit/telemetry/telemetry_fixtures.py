"""Loopback fakes for telemetry tests: the ECS task metadata endpoint and a DogStatsD agent."""

import json
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTAINER_DOC = {
    "DockerId": "cd189a933e5849daa93386466019ab50-2495160603",
    "Name": "bidder",
    "DockerName": "bidder",
    "Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/openbid:1.4.2",
    "ImageID": "sha256:7b8a1c4f2e",
    "Labels": {
        "com.amazonaws.ecs.cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/bidders",
        "com.amazonaws.ecs.container-name": "bidder",
        "com.amazonaws.ecs.task-arn": "arn:aws:ecs:eu-west-1:123456789012:task/bidders/"
        "cd189a933e5849daa93386466019ab50",
        "com.amazonaws.ecs.task-definition-family": "openbid-prod",
        "com.amazonaws.ecs.task-definition-version": "42",
    },
    "DesiredStatus": "RUNNING",
    "KnownStatus": "RUNNING",
    "Limits": {"CPU": 896, "Memory": 0},
    "Type": "NORMAL",
    "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.0.2.106"]}],
}
TASK_DOC = {
    "Cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/bidders",
    "TaskARN": "arn:aws:ecs:eu-west-1:123456789012:task/bidders/cd189a933e5849daa93386466019ab50",
    "Family": "openbid-prod",
    "Revision": "42",
    "DesiredStatus": "RUNNING",
    "KnownStatus": "RUNNING",
    "Limits": {"CPU": 1, "Memory": 2048},
    "PullStartedAt": "2026-06-01T12:00:00.000Z",
    "AvailabilityZone": "eu-west-1b",
    "LaunchType": "FARGATE",
    "ServiceName": "openbid",
    "Containers": [CONTAINER_DOC],
}


@contextmanager
def fake_metadata_endpoint(documents: Mapping[str, object], delay: float = 0.0) -> Iterator[str]:
    """Serve ``documents`` (path -> JSON) on loopback; yields the base URI (404 elsewhere)."""
    pause = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if delay:
                pause.wait(delay)
            document = documents.get(self.path.rstrip("/") or "/")
            body = json.dumps(document).encode() if document is not None else b"not found"
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v4/abc"
    finally:
        pause.set()
        server.shutdown()
        server.server_close()


def ecs_documents(task: Mapping[str, object] | None = None) -> dict[str, object]:
    """The container and task documents at the paths the agent serves them."""
    return {"/v4/abc": CONTAINER_DOC, "/v4/abc/task": dict(task or TASK_DOC)}


class StatsdReceiver:
    """A UDP socket on loopback standing in for the DogStatsD agent."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]

    def lines(self) -> list[str]:
        """Every metric line received so far."""
        lines: list[str] = []
        while True:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return lines
            lines.extend(line for line in data.decode().split("\n") if line)

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


def parse_line(line: str) -> tuple[str, str, str, dict[str, str]]:
    """``name:value|type|#k:v,...`` -> (name, value, type, tags)."""
    head, *fields = line.split("|")
    name, value = head.split(":", 1)
    tags: dict[str, str] = {}
    for field in fields[1:]:
        if field.startswith("#"):
            for tag in field[1:].split(","):
                key, _, tag_value = tag.partition(":")
                tags[key] = tag_value
    return name, value, fields[0], tags
