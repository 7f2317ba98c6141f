"""A second opinion from the official Python MCP SDK: connect over Streamable
HTTP, list the tools, call listVMs and an unknown VM, and print a JSON summary."""
import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


async def main(url: str) -> None:
    async with streamable_http_client(url) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            listed = await session.call_tool("infra.vmware.vms.listVMs", {})
            missing = await session.call_tool("infra.vmware.vms.getVMInfo", {"vmName": "no-such-vm"})
            print(json.dumps({
                "tools": sorted(t.name for t in tools.tools),
                "listIsError": bool(listed.is_error),
                "listCount": (listed.structured_content or {}).get("total"),
                "missingIsError": bool(missing.is_error),
                "missingText": " ".join(getattr(c, "text", "") for c in missing.content),
            }))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
