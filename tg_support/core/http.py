"""``AiohttpRequest``: PTB's :class:`~telegram.request.BaseRequest` on one ``aiohttp`` session.

Why: under 32 concurrent updates, PTB's default ``HTTPXRequest`` spent most of the bot's CPU
per Bot API call in httpx/httpcore pool bookkeeping (``has_expired`` polls every idle
connection on every request) and the anyio/sniffio layers; aiohttp's connector does not.

Contract as :class:`telegram.request.HTTPXRequest`: same constructor timeouts and defaults,
``TimedOut`` for timeouts, ``NetworkError`` for other transport errors, multipart uploads when
the request carries files. Differences:

* parameters without files go as a JSON body (HTTPXRequest sends a urlencoded form; the Bot
  API takes both, and JSON costs one ``json.dumps`` instead of encoding every character);

* aiohttp has no write timeout; ``write_timeout``/``media_write_timeout`` are accepted and
  ignored (a stalled upload is bounded by the read timeout once the body is sent);
* the pool timeout is enforced together with the connect timeout (aiohttp's ``connect``
  bounds waiting for a free connection *and* establishing one), so a pool timeout is
  reported as a connect/pool ``TimedOut``;
* proxies: ``proxy=`` or, as httpx does, ``HTTP(S)_PROXY``/``NO_PROXY`` from the environment,
  read once per host (aiohttp's ``trust_env`` re-reads the environment and ``~/.netrc`` on
  every request: ~6 % of the bot's CPU in ``bench/questions.py``); no ``.netrc`` credentials.

The session is created in :meth:`initialize` (aiohttp binds it to the running loop) and
closed in :meth:`shutdown`; :meth:`initialize` after :meth:`shutdown` makes a new one.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """:class:`~telegram.request.BaseRequest` implemented with one ``aiohttp.ClientSession``."""

    __slots__ = (
        "_connect_timeout",
        "_connection_pool_size",
        "_default_timeout",
        "_env_proxies",
        "_headers",
        "_media_write_timeout",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be >= 1")
        self._connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._headers = {"User-Agent": self.USER_AGENT}
        self._default_timeout = _timeout(read_timeout, connect_timeout, pool_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._env_proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds (see :attr:`BaseRequest.read_timeout`)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Create the session in the running loop (no-op if already open)."""
        if self._session is not None and not self._session.closed:
            return
        connector = aiohttp.TCPConnector(limit=self._connection_pool_size, limit_per_host=0)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers=self._headers,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=self._default_timeout,
        )
        self._env_proxies = {}

    def _proxy_for(self, url: str) -> str | None:
        if self._proxy is not None:
            return self._proxy
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._env_proxies:
            proxies = urllib.request.getproxies_environment()
            proxy = proxies.get(parts.scheme)
            if proxy and urllib.request.proxy_bypass(key[1]):  # reads NO_PROXY
                proxy = None
            self._env_proxies[key] = proxy
        return self._env_proxies[key]

    async def shutdown(self) -> None:
        """Close the session and its connections (no-op if not open)."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`BaseRequest.do_request`."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")

        if (
            isinstance(read_timeout, DefaultValue)
            and isinstance(connect_timeout, DefaultValue)
            and isinstance(pool_timeout, DefaultValue)
        ):
            timeout = self._default_timeout
        else:
            timeout = _timeout(
                self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout,
                (
                    self._connect_timeout
                    if isinstance(connect_timeout, DefaultValue)
                    else connect_timeout
                ),
                self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout,
            )

        data: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime_type) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mime_type)
                data = form
            elif params := request_data.parameters:
                data = json.dumps(params, ensure_ascii=False).encode()
                headers = _JSON

        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout,
                proxy=self._proxy_for(url),
            ) as response:  # fmt: skip
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as err:
            raise TimedOut(
                message=(
                    "Timed out waiting for a free connection in the pool or for connecting. "
                    "The request was probably *not* sent to Telegram. Consider adjusting the "
                    "connection pool size or the pool/connect timeouts."
                )
            ) from err
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


_JSON = {"Content-Type": "application/json"}


def _timeout(
    read_timeout: float | None, connect_timeout: float | None, pool_timeout: float | None
) -> aiohttp.ClientTimeout:
    # aiohttp's ``connect`` covers waiting for a pooled connection plus establishing one;
    # ``sock_connect`` bounds the connect alone; ``sock_read`` is per read, like httpx's read.
    connect = (
        None if connect_timeout is None or pool_timeout is None else connect_timeout + pool_timeout
    )
    return aiohttp.ClientTimeout(
        total=None, connect=connect, sock_connect=connect_timeout, sock_read=read_timeout
    )
