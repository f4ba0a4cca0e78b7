"""Debian's headless Chromium, driven through the DevTools protocol (CDP) over aiohttp's
websocket client: enough to load a page, type into it, press Enter, read the DOM and take a
screenshot. Started in its own process group with an empty profile, stopped by process id."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from tests.integration.pipeline import free_port

CHROMIUM = "/usr/bin/chromium"
# without the background-networking flags Chromium keeps calling Google's hosts, which this
# machine's closed network refuses (stack-facts, the machine's notes)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,900",
)


class Page:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        await self.ws.send_json({"id": call_id, "method": method, "params": params})
        while True:
            msg = json.loads((await asyncio.wait_for(self.ws.receive(), 30)).data)
            if msg.get("id") == call_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            self.events.append(msg)

    async def wait_for_load(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("the page did not load")
            msg = json.loads((await asyncio.wait_for(self.ws.receive(), left)).data)
            self.events.append(msg)
        self.events.clear()

    async def goto(self, url: str) -> None:
        self.events.clear()
        await self.call("Page.navigate", url=url)
        await self.wait_for_load()

    async def text(self, selector: str) -> str:
        found = await self.call(
            "Runtime.evaluate",
            expression=f"(document.querySelector({json.dumps(selector)}) || {{}}).innerText",
            returnByValue=True,
        )
        return str(found["result"].get("value") or "")

    async def type_and_enter(self, selector: str, text: str) -> None:
        await self.call(
            "Runtime.evaluate", expression=f"document.querySelector({json.dumps(selector)}).focus()"
        )
        await self.call("Input.insertText", text=text)
        self.events.clear()
        for kind in ("keyDown", "keyUp"):
            await self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                text="\r" if kind == "keyDown" else "",
            )
        await self.wait_for_load()

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[Page]:
    if shutil.which(CHROMIUM) is None:
        raise AssertionError(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    port = free_port()
    profile_flag, debug_flag = f"--user-data-dir={profile}", f"--remote-debugging-port={port}"
    proc = subprocess.Popen(
        [CHROMIUM, *FLAGS, profile_flag, debug_flag, "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        target = _page_target(port)
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(target, max_msg_size=0) as ws,
        ):
            page = Page(ws)
            await page.call("Page.enable")
            yield page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _page_target(port: int, timeout_s: float = 30.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        url = f"http://127.0.0.1:{port}/json/list"
        with contextlib.suppress(OSError, ValueError), urllib.request.urlopen(url, timeout=2) as r:
            for target in json.loads(r.read()):
                if target.get("type") == "page":
                    return str(target["webSocketDebuggerUrl"])
        time.sleep(0.3)
    raise AssertionError("Chromium's DevTools endpoint did not come up")
