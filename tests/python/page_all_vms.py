"""The official Python MCP SDK pages through every VM with listVMs and
prints how many it reached (the scale benchmark checks it is all of them)."""
import asyncio
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


async def main(url: str) -> None:
    async with streamable_http_client(url) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            seen, cursor = set(), None
            while True:
                args = {"cursor": cursor} if cursor else {}
                page = await session.call_tool("infra.vmware.vms.listVMs", args)
                if page.is_error:
                    raise SystemExit(" ".join(getattr(c, "text", "") for c in page.content))
                body = page.structured_content
                seen.update(vm["id"] for vm in body["vms"])
                cursor = body.get("nextCursor")
                if not cursor:
                    break
            print(len(seen))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
