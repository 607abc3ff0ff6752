"""The official Python SDK client in its default mode: opens subscriptions/listen for tool list changes, calls the
change_tools tool, and prints as JSON the era and the event the listen stream brought."""
import asyncio
import json
import sys

from mcp.client import Client


async def main(url):
    async with Client(url) as client:
        async with client.listen(tools_list_changed=True) as subscription:
            await client.call_tool("change_tools", {})
            event = await asyncio.wait_for(anext(aiter(subscription)), timeout=10)
        print(json.dumps({
            "protocolVersion": client.protocol_version,
            "event": type(event).__name__,
        }))


asyncio.run(main(sys.argv[1]))
