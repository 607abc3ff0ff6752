package io.mcpproxy.core.stdio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.jsonrpc.JsonRpcException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live newline-delimited JSON-RPC conversation with an MCP server: a reader thread for its stdout, serialized
 * writes to its stdin, and (for a spawned process) its stderr copied to the log.
 */
public final class StdioConnection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StdioConnection.class);
    private static final byte NEWLINE = '\n';

    /** Receives what the server says. Called on the reader thread, one message at a time. */
    public interface Listener {
        void onMessage(ObjectNode message);

        /** The conversation ended: EOF, read error, or {@link #close()}. Called once. */
        void onClosed(String reason);
    }

    private final String name;
    private final InputStream serverStdout;
    private final OutputStream serverStdin;
    private final Process process;
    private final Listener listener;
    private final Object writeLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile String closeReason;

    private StdioConnection(String name, InputStream serverStdout, OutputStream serverStdin, Process process,
                            Listener listener) {
        this.name = name;
        this.serverStdout = serverStdout;
        this.serverStdin = serverStdin;
        this.process = process;
        this.listener = listener;
    }

    static StdioConnection start(String name, InputStream serverStdout, OutputStream serverStdin,
                                 InputStream serverStderr, Process process, Listener listener) {
        StdioConnection connection = new StdioConnection(name, serverStdout, serverStdin, process, listener);
        daemon("mcp-stdio-" + name + "-out", connection::readLoop).start();
        if (serverStderr != null) {
            daemon("mcp-stdio-" + name + "-err", () -> copyToLog(name, serverStderr)).start();
        }
        return connection;
    }

    /**
     * Sends one message as one line. Thread-safe; writes never interleave.
     *
     * @throws IOException when the server's stdin is closed
     */
    public void send(JsonNode message) throws IOException {
        byte[] json = JsonRpc.toBytes(message);
        synchronized (writeLock) {
            if (closed.get()) {
                throw new IOException("connection to MCP server '" + name + "' is closed: " + closeReason);
            }
            try {
                serverStdin.write(json);
                serverStdin.write(NEWLINE);
                serverStdin.flush();
            } catch (IOException e) {
                closeWith("stdin closed: " + e.getMessage());
                throw e;
            }
        }
    }

    /** The process id of a spawned server, or -1. */
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /** Stops the server: closes its stdin, then terminates a spawned process (forcibly after 2 s). */
    @Override
    public void close() {
        closeWith("closed by the proxy");
    }

    private void readLoop() {
        String reason = "MCP server closed its stdout";
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(serverStdout, StandardCharsets.UTF_8),
                64 * 1024)) {
            String line;
            while ((line = reader.readLine()) != null) {
                dispatch(line);
            }
        } catch (IOException e) {
            reason = "reading the MCP server's stdout failed: " + e.getMessage();
        }
        if (process != null) {
            try {
                if (process.waitFor(200, TimeUnit.MILLISECONDS)) {
                    reason = reason + " (exit code " + process.exitValue() + ")";
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeWith(reason);
    }

    private void dispatch(String line) {
        if (line.isBlank()) {
            return;
        }
        JsonNode node;
        try {
            node = JsonRpc.parse(line.getBytes(StandardCharsets.UTF_8));
        } catch (JsonRpcException e) {
            // stdio rule: stdout carries only MCP messages. Tolerate the violation without losing the stream.
            LOG.warn("[{}] skipped a stdout line that is not JSON: {}", name, abbreviate(line));
            return;
        }
        if (node.isArray()) { // a 2025-03-26 server may batch
            node.forEach(element -> deliver(element, line));
        } else {
            deliver(node, line);
        }
    }

    private void deliver(JsonNode node, String line) {
        if (node instanceof ObjectNode message) {
            try {
                listener.onMessage(message);
            } catch (RuntimeException e) {
                LOG.error("[{}] failed to route a message from the MCP server", name, e);
            }
        } else {
            LOG.warn("[{}] skipped a stdout line that is not a JSON-RPC object: {}", name, abbreviate(line));
        }
    }

    private void closeWith(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeReason = reason;
        LOG.info("[{}] connection ended: {}", name, reason);
        // Tell the listener first: in-flight requests get their errors now, not after the process is reaped.
        try {
            listener.onClosed(reason);
        } finally {
            closeQuietly(serverStdin);
            if (process != null) {
                process.destroy();
                try {
                    if (!process.waitFor(2, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
            closeQuietly(serverStdout);
        }
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    private static void copyToLog(String name, InputStream stderr) {
        Logger serverLog = LoggerFactory.getLogger("mcp.server." + name);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                serverLog.info("[{}] {}", name, line);
            }
        } catch (IOException ignored) {
            // the process is gone; its stderr with it
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    private static String abbreviate(String line) {
        return line.length() <= 200 ? line : line.substring(0, 200) + "…";
    }
}
