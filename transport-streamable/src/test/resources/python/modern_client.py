"""The official Python SDK client in its default mode ('auto') against a URL; prints what it saw as JSON."""
import asyncio
import json
import sys

from mcp.client import Client


async def main(url):
    progress = []

    async def on_progress(value, total, message):
        progress.append(value)

    async with Client(url) as client:
        tools = await client.list_tools()
        echo = await client.call_tool("echo", {"text": "from python"})
        stepped = await client.call_tool("progress", {"steps": 3, "delayMs": 5}, progress_callback=on_progress)
        print(json.dumps({
            "protocolVersion": client.protocol_version,
            "tools": [tool.name for tool in tools.tools],
            "echo": echo.content[0].text,
            "progressResult": stepped.content[0].text,
            "progress": progress,
        }))


asyncio.run(main(sys.argv[1]))
