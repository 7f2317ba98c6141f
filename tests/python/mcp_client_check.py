"""A second opinion from the official Python MCP SDK: connect over Streamable
HTTP, list the tools, call listVMs and an unknown VM, close the session, and
print a JSON summary with any warning the SDK logged (it warns when a DELETE
of the session gets an answer it does not expect)."""
import asyncio
import json
import logging
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


class Warnings(logging.Handler):
    """Collects the SDK's warnings (e.g. "Session termination failed: 202")."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


async def main(url: str) -> None:
    warnings = Warnings()
    logging.getLogger().addHandler(warnings)
    summary = await session_check(url)
    # Warnings logged while the session closes (its DELETE) are included.
    print(json.dumps({**summary, "sdkWarnings": warnings.messages}))


async def session_check(url: str) -> dict:
    async with streamable_http_client(url) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            listed = await session.call_tool("infra.vmware.vms.listVMs", {})
            missing = await session.call_tool("infra.vmware.vms.getVMInfo", {"vmName": "no-such-vm"})
            summary = {
                "tools": sorted(t.name for t in tools.tools),
                "listIsError": bool(listed.is_error),
                "listCount": (listed.structured_content or {}).get("total"),
                "missingIsError": bool(missing.is_error),
                "missingText": " ".join(getattr(c, "text", "") for c in missing.content),
            }
    return summary


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
