/** The {@code mcp-proxy} executable. */
package io.mcpproxy.runner;
