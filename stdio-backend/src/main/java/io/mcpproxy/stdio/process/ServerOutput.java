package io.mcpproxy.stdio.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.jsonrpc.JsonRpcException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a server writes on stdout, turned into messages for the connection's listener: split into lines as bytes,
 * each parsed in place, a line over the size limit read past in constant memory. Used by the connection's reader
 * thread alone.
 */
final class ServerOutput {

    private static final Logger LOG = LoggerFactory.getLogger(ServerOutput.class);
    private static final byte NEWLINE = StdioConnection.NEWLINE;

    private final String name;
    private final long maxMessageBytes;
    private final StdioConnection.Listener listener;
    /** The line being assembled, or being read past once it outgrew {@link #maxMessageBytes}. */
    private final LineBuffer partial = new LineBuffer();
    private OversizedLine skipped;

    ServerOutput(String name, long maxMessageBytes, StdioConnection.Listener listener) {
        this.name = name;
        this.maxMessageBytes = maxMessageBytes;
        this.listener = listener;
    }

    /**
     * Splits stdout into lines as bytes and parses each in place: no decoding to a String and back, which matters
     * because one thread reads every response of every session. A line longer than {@code maxMessageBytes} is not
     * kept: it is read past, and {@link #oversized} tells whoever waits for it.
     */
    void read(InputStream stdout) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        int read;
        while ((read = stdout.read(chunk)) >= 0) {
            int lineStart = 0;
            for (int i = 0; i < read; i++) {
                if (chunk[i] == NEWLINE) {
                    lineBytes(chunk, lineStart, i - lineStart, true);
                    lineStart = i + 1;
                }
            }
            lineBytes(chunk, lineStart, read - lineStart, false);
        }
        if (skipped != null) {
            oversized(skipped);
        } else if (partial.size() > 0) {
            partial.dispatchTo(this); // a last line without its newline
        }
    }

    /** The next {@code length} bytes of the current line; {@code endOfLine} when a newline followed them. */
    private void lineBytes(byte[] chunk, int offset, int length, boolean endOfLine) {
        if (skipped == null && partial.size() + (long) length > maxMessageBytes) {
            skipped = new OversizedLine();
            skipped.feed(partial.buf(), 0, partial.size());
            partial.discard();
        }
        if (skipped != null) {
            skipped.feed(chunk, offset, length);
            if (endOfLine) {
                oversized(skipped);
                skipped = null;
            }
        } else if (endOfLine && partial.size() == 0) {
            dispatch(chunk, offset, length); // the common case: the whole line in this chunk, parsed in place
        } else {
            partial.write(chunk, offset, length);
            if (endOfLine) {
                partial.dispatchTo(this);
            }
        }
    }

    /** Bytes of one line in the making; shrinks back after an unusually long line. */
    private static final class LineBuffer extends java.io.ByteArrayOutputStream {
        private static final int KEPT_CAPACITY = 1 << 20;

        byte[] buf() {
            return buf;
        }

        void dispatchTo(ServerOutput output) {
            output.dispatch(buf, 0, count);
            discard();
        }

        void discard() {
            if (buf.length > KEPT_CAPACITY) {
                buf = new byte[1024];
            }
            reset();
        }
    }

    /**
     * A line over the limit was read past. If it was the answer to a request, that request gets an error answer now
     * rather than a timeout later; anything else is only logged.
     */
    private void oversized(OversizedLine line) {
        JsonNode id = line.answerId();
        String size = line.length() + " bytes, over the proxy's limit of " + maxMessageBytes + " bytes";
        if (id == null) {
            LOG.warn("[{}] skipped a stdout {} of {} (maxServerMessageSize)", name,
                    line.isServerMessage() ? "request or notification" : "line", size);
            return;
        }
        LOG.warn("[{}] the answer to request {} is {} (maxServerMessageSize); the client gets an error instead",
                name, id, size);
        deliver(JsonRpc.proxyError(id, "message_too_large", "The MCP server's answer (" + size
                + ") was dropped; raise maxServerMessageSize to let it through"), null, 0, 0);
    }

    private void dispatch(byte[] bytes, int offset, int length) {
        if (isBlank(bytes, offset, length)) {
            return;
        }
        JsonNode node;
        try {
            node = JsonRpc.parseServerMessage(bytes, offset, length);
        } catch (JsonRpcException e) {
            unparseable(bytes, offset, length, e);
            return;
        }
        if (node.isArray()) { // a 2025-03-26 server may batch
            node.forEach(element -> deliver(element, bytes, offset, length));
        } else {
            deliver(node, bytes, offset, length);
        }
    }

    /**
     * stdio rule: stdout carries only MCP messages. The violation is tolerated without losing the stream. A line
     * that is recognizably the answer to a request is replaced by an error answer to that id, so its client hears
     * at once instead of at its request timeout; an id nobody waits for is dropped further on like any late answer.
     */
    private void unparseable(byte[] bytes, int offset, int length, JsonRpcException e) {
        JsonNode id = JsonRpc.responseIdIn(bytes, offset, length);
        if (id == null) {
            LOG.warn("[{}] skipped a stdout line of {} bytes that is not JSON ({}): {}", name, length,
                    e.getMessage(), abbreviate(bytes, offset, length));
            return;
        }
        LOG.warn("[{}] the answer to request {} is a line of {} bytes that cannot be parsed ({}); the client gets an"
                + " error instead: {}", name, id, length, e.getMessage(), abbreviate(bytes, offset, length));
        deliver(JsonRpc.proxyError(id, "unparseable_response", "The MCP server's answer (" + length
                + " bytes) could not be parsed: " + e.getMessage()), bytes, offset, length);
    }

    private void deliver(JsonNode node, byte[] bytes, int offset, int length) {
        if (node instanceof ObjectNode message) {
            try {
                listener.onMessage(message);
            } catch (RuntimeException e) {
                LOG.error("[{}] failed to route a message from the MCP server", name, e);
            }
        } else {
            LOG.warn("[{}] skipped a stdout line that is not a JSON-RPC object: {}", name,
                    abbreviate(bytes, offset, length));
        }
    }

    private static boolean isBlank(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(byte[] bytes, int offset, int length) {
        String line = new String(bytes, offset, Math.min(length, 800), StandardCharsets.UTF_8);
        return line.length() <= 200 && length <= 800 ? line : line.substring(0, Math.min(200, line.length())) + "…";
    }
}
