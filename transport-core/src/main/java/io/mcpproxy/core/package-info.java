/**
 * Mechanics shared by every stdio-fronting transport: JSON-RPC framing, the stdio backend, id mapping and message
 * routing, SSE writing, and Origin/Host checks. Filled by the Streamable HTTP work.
 */
package io.mcpproxy.core;
