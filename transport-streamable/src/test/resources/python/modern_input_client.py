"""The official Python SDK client in its default mode, answering the server's sampling and elicitation through
multi round-trip requests (InputRequiredResult, then the retry); prints what it saw as JSON."""
import asyncio
import json
import sys

import mcp.types as types
from mcp.client import Client

asked = []


async def sampling(context, params):
    asked.append("sampling/createMessage")
    prompt = params.messages[0].content.text
    return types.CreateMessageResult(role="assistant", model="python-test-model",
                                     content=types.TextContent(type="text", text="an answer to " + prompt))


async def elicitation(context, params):
    asked.append("elicitation/create")
    return types.ElicitResult(action="accept", content={"answer": "from the python user"})


async def main(url):
    async with Client(url, sampling_callback=sampling, elicitation_callback=elicitation) as client:
        sampled = await client.call_tool("sample", {"prompt": "what is MRTR?"})
        elicited = await client.call_tool("elicit", {"message": "who are you?"})
        print(json.dumps({
            "protocolVersion": client.protocol_version,
            "sampled": sampled.content[0].text,
            "elicited": elicited.content[0].text,
            "asked": asked,
        }))


asyncio.run(main(sys.argv[1]))
