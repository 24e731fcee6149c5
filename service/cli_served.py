"""The command line next to a running server: it says where it listens, and `kringloop load`
sends data through it while it holds the store.

One process writes to an on-disk Oxigraph store at a time. While ``kringloop serve`` holds
it, it says where it listens in a file next to the store (``STORE.server.json``: its URL and
process id); ``kringloop load`` then sends the files to that server's Graph Store (one
``POST /store`` of N-Quads: one transaction, all files or none) with the write token from
``KRINGLOOP_WRITE_TOKEN``, or says exactly how to.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import uvicorn
from fastapi import FastAPI

from kringloop.graph.errors import ConfigError, KringloopError, StoreInUse
from kringloop.graph.load import Source, parse_file
from kringloop.service.app import ready_line
from kringloop.service.settings import Settings

log = logging.getLogger("kringloop.service")


class Serving(uvicorn.Server):
    """uvicorn's server, saying the service's ready line once it listens."""

    def __init__(self, config: uvicorn.Config, settings: Settings, app: FastAPI) -> None:
        super().__init__(config)
        self.settings = settings
        self.app = app

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            log.info("%s", ready_line(self.settings, self.app.state.store))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn raises the stopping signal again once it has shut down, which ends the
        # process before the caller's cleanup runs: the server file goes here.
        retract(self.settings)
        await super().shutdown(sockets)


def server_file(store_path: Path) -> Path:
    """Where a server holding the store at ``store_path`` says where it listens.

    >>> server_file(Path("var/store")).as_posix()
    'var/store.server.json'
    """
    return store_path.with_name(store_path.name + ".server.json")


def _url(settings: Settings) -> str:
    host = settings.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{settings.port}"


@contextmanager
def announced(settings: Settings) -> Iterator[None]:
    """While the block runs, the server file says this process serves the on-disk store."""
    if settings.store != "oxigraph":
        yield
        return
    path = server_file(settings.store_path.expanduser())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": _url(settings), "pid": os.getpid()}), encoding="utf-8")
    try:
        yield
    finally:
        retract(settings)


def retract(settings: Settings) -> None:
    """Remove the server file, if this process wrote it."""
    path = server_file(settings.store_path.expanduser())
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


@dataclass(frozen=True)
class RunningServer:
    url: str
    pid: int


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_server(store_path: Path) -> RunningServer | None:
    """The kringloop server that holds the store at ``store_path``, if one says so."""
    try:
        data = json.loads(server_file(store_path.expanduser()).read_text(encoding="utf-8"))
        server = RunningServer(url=str(data["url"]), pid=int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server if _alive(server.pid) else None


def _curl(server: str, sources: Sequence[Source]) -> str:
    lines = []
    for source in sources:
        target = "" if isinstance(source.graph, ox.DefaultGraph) else f"?graph={source.graph.value}"
        if source.format.supports_datasets:
            target = ""
        lines.append(
            f'curl -X POST -H "Authorization: Bearer $KRINGLOOP_WRITE_TOKEN" '
            f'-H "Content-Type: {source.format.media_type}" --data-binary @{source.path} '
            f'"{server}/store{target}"'
        )
    return "\n".join(lines)


def through_server(
    settings: Settings, sources: Sequence[Source], cause: StoreInUse
) -> tuple[str, int]:
    """Send ``sources`` to the server that holds the store, as one Graph Store POST (one
    transaction); the server's URL and the number of quads sent.

    Raises `ConfigError` saying exactly what to do when there is no server to send them to,
    no write token, or the server refuses them.
    """
    import httpx

    server = running_server(settings.store_path)
    if server is None:
        raise ConfigError(
            f"{cause.message}, and it is not a kringloop server this command can find",
            hint="stop that process and load again",
        ) from cause
    token = settings.write_token.get_secret_value() if settings.write_token else None
    if token is None:
        raise ConfigError(
            f"`kringloop serve` (process {server.pid}, {server.url}) holds the store; it takes "
            "data through its Graph Store with the write token. Set KRINGLOOP_WRITE_TOKEN to "
            "the token the server was started with and run this command again, or send the "
            f"files yourself:\n{_curl(server.url, sources)}",
            hint="or stop the server (Ctrl+C) and load again",
        ) from cause
    quads = [quad for source in sources for quad in parse_file(source)]
    body = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    if len(body) > settings.max_body_bytes:
        raise ConfigError(
            f"{len(body):,} bytes of N-Quads is more than the server takes in one request "
            f"({settings.max_body_bytes:,})",
            hint="stop the server (Ctrl+C) and load again, or split the files",
        ) from cause
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/n-quads"}
    try:
        timeout = max(60.0, len(quads) / 1e4)  # the server checks shapes: ~10k quads/s
        response = httpx.post(f"{server.url}/store", content=body, headers=headers, timeout=timeout)
    except httpx.TransportError as err:
        raise ConfigError(
            f"cannot reach the server at {server.url} that holds the store: {err}",
            hint="check that it runs, or stop it and load again",
        ) from err
    if response.status_code >= 300:
        raise ServerRefused(server.url, response)
    return server.url, len(quads)


class ServerRefused(KringloopError):
    """The server refused the data (its status and message are kept)."""

    def __init__(self, url: str, response: object) -> None:
        import httpx

        assert isinstance(response, httpx.Response)
        try:
            body = response.json()
            message, hint = str(body.get("message")), body.get("hint")
            violations = body.get("violations") or []
        except ValueError:
            message, hint, violations = response.text.strip(), None, []
        self.status = response.status_code
        self.violations = violations
        self.exit_code = 1 if response.status_code == 422 else 2
        lines = [f"the server at {url} refused the data ({response.status_code}): {message}"]
        for v in violations:
            lines.append(f"  {v.get('focus')} {v.get('path') or ''}: {v.get('message')}")
        super().__init__("\n".join(lines), hint=str(hint) if hint else None)
