"""The official Python MCP SDK pages through every VM with listVMs at the
default page size, timing the first page (median of 10) and every page
(median of 3); prints JSON: {"vms", "pages", "first_page_ms", "all_pages_ms"}.
The scale benchmark sets these beside the pyVmomi floor (pyvmomi_floor.py)."""
import asyncio
import json
import statistics
import sys
import time

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

TOOL = "infra.vmware.vms.listVMs"


async def page(session, cursor):
    args = {"cursor": cursor} if cursor else {}
    result = await session.call_tool(TOOL, args)
    if result.is_error:
        raise SystemExit(" ".join(getattr(c, "text", "") for c in result.content))
    return result.structured_content


async def every_page(session):
    seen, pages, cursor = set(), 0, None
    while True:
        body = await page(session, cursor)
        pages += 1
        seen.update(vm["id"] for vm in body["vms"])
        cursor = body.get("nextCursor")
        if not cursor:
            return len(seen), pages


async def main(url: str) -> None:
    async with streamable_http_client(url) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            await page(session, None)  # warm the connection
            first = []
            for _ in range(10):
                started = time.perf_counter()
                await page(session, None)
                first.append(time.perf_counter() - started)
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                vms, pages = await every_page(session)
                runs.append(time.perf_counter() - started)
            print(json.dumps({
                "vms": vms,
                "pages": pages,
                "first_page_ms": statistics.median(first) * 1000,
                "all_pages_ms": statistics.median(runs) * 1000,
            }))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
