/** Session-sticky reverse proxy in front of MCP servers that already speak HTTP. */
package io.mcpproxy.transparent;
