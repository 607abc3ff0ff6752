/** Legacy MCP HTTP+SSE ({@code GET /sse} + {@code POST /messages}) in front of a stdio MCP server. */
package io.mcpproxy.sse;
