"""A modern (2026-07-28) MCP server built with the official Python SDK: over stdio by default, or over its own
Streamable HTTP with `--http PORT` (to compare the proxy with the server itself). Tools: echo, progress,
change_tools (tells listen streams that the tool list changed), sample (asks the client's LLM through an
InputRequiredResult and answers with its text), elicit (asks the user the same way)."""
import asyncio
import json
import sys
from typing import Annotated

from mcp.server.mcpserver import Context, Elicit, MCPServer, Resolve, Sample
from mcp_types import CreateMessageResult, SamplingMessage, TextContent
from pydantic import BaseModel

server = MCPServer("python-modern-server")


@server.tool()
def echo(text: str) -> str:
    """Echoes the text."""
    return text


@server.tool()
async def progress(steps: int, delayMs: int, ctx: Context) -> str:
    """Reports progress `steps` times, `delayMs` apart, then answers."""
    for step in range(1, steps + 1):
        await asyncio.sleep(delayMs / 1000)
        await ctx.report_progress(step, steps)
    return f"done {steps} steps"


@server.tool()
async def change_tools(ctx: Context) -> str:
    """Publishes a tools list_changed event to the subscriptions/listen streams."""
    await ctx.notify_tools_changed()
    return "changed"


def ask_llm(prompt: str) -> Sample:
    return Sample([SamplingMessage(role="user", content=TextContent(type="text", text=prompt))], max_tokens=50)


@server.tool()
def sample(prompt: str, sampled: Annotated[CreateMessageResult, Resolve(ask_llm)]) -> str:
    """Samples the client's LLM with the prompt; answers with what it said."""
    return sampled.content.text


class Answer(BaseModel):
    answer: str


def ask_user(message: str) -> Elicit[Answer]:
    return Elicit(message, Answer)


@server.tool()
def elicit(message: str, answered: Annotated[Answer, Resolve(ask_user)]) -> str:
    """Asks the user the message (elicitation); answers with what they said."""
    return "elicited: accept " + json.dumps({"answer": answered.answer}, separators=(",", ":"))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
