/** MCP Streamable HTTP ({@code /mcp}: POST, GET stream, DELETE) in front of a stdio MCP server. */
package io.mcpproxy.streamable;
