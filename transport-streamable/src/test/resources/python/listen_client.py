"""The official Python SDK client in its default mode ('auto'): a subscriptions/listen stream through a URL.

Listens for tool list changes and one resource's updates, triggers both with the example server's tools, leaves,
then asks the server what it saw. Prints what it saw as JSON."""
import asyncio
import json
import sys

import anyio
from mcp.client import Client
from mcp.client.subscriptions import ResourceUpdated, ToolsListChanged

URI = "example://watched-by-python"


async def text(client, tool, arguments):
    result = await client.call_tool(tool, arguments)
    return result.content[0].text


async def main(url):
    events = []
    async with Client(url) as client:
        async with client.listen(tools_list_changed=True, resource_subscriptions=[URI]) as subscription:
            honored = subscription.honored.model_dump(by_alias=True, exclude_none=True)
            await text(client, "notify_list_changed", {"kind": "tools"})
            await text(client, "update_resource", {"uri": URI})
            with anyio.fail_after(10):
                async for event in subscription:
                    if isinstance(event, ToolsListChanged):
                        events.append("tools/list_changed")
                    elif isinstance(event, ResourceUpdated):
                        events.append("resources/updated " + event.uri)
                    if len(events) == 2:
                        break
        after = ""
        for _ in range(100):  # the proxy notices the closed stream at its next keep-alive
            after = await text(client, "update_resource", {"uri": URI})
            if after.startswith("not subscribed"):
                break
            await anyio.sleep(0.1)
        requests = json.loads(await text(client, "requests", {}))
        print(json.dumps({
            "protocolVersion": client.protocol_version,
            "honored": honored,
            "events": sorted(events),
            "updateAfterLeaving": after,
            "subscribes": requests.count("resources/subscribe"),
            "unsubscribes": requests.count("resources/unsubscribe"),
        }))


asyncio.run(main(sys.argv[1]))
