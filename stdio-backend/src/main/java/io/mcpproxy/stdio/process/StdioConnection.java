package io.mcpproxy.stdio.process;

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
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
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

        /**
         * After {@link #onClosed}: the spawned process has been reaped (or killed), so it no longer counts against
         * any limit of live processes. Called once, last.
         */
        default void onTerminated() {
        }
    }

    private final String name;
    private final InputStream serverStdout;
    private final OutputStream serverStdin;
    private final Process process;
    private final Listener listener;
    private final Queue<byte[]> outbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final long maxMessageBytes;
    private volatile String closeReason;
    // the reader thread's: the line being assembled, or being read past once it outgrew maxMessageBytes
    private final LineBuffer partial = new LineBuffer();
    private OversizedLine skipped;
    private final Thread stdoutReader;
    private final Thread stderrCopier; // null for handed-in streams

    private StdioConnection(String name, InputStream serverStdout, OutputStream serverStdin, InputStream serverStderr,
                            Process process, Listener listener, long maxMessageBytes) {
        this.name = name;
        this.maxMessageBytes = maxMessageBytes;
        this.serverStdout = serverStdout;
        this.serverStdin = serverStdin;
        this.process = process;
        this.listener = listener;
        this.stdoutReader = daemon("mcp-stdio-" + name + "-out", this::readLoop);
        this.stderrCopier = serverStderr == null ? null
                : daemon("mcp-stdio-" + name + "-err", () -> copyToLog(name, serverStderr));
    }

    static StdioConnection start(String name, InputStream serverStdout, OutputStream serverStdin,
                                 InputStream serverStderr, Process process, Listener listener,
                                 long maxMessageBytes) {
        StdioConnection connection = new StdioConnection(name, serverStdout, serverStdin, serverStderr, process,
                listener, maxMessageBytes);
        connection.stdoutReader.start();
        if (connection.stderrCopier != null) {
            connection.stderrCopier.start();
        }
        return connection;
    }

    /**
     * Sends one message as one line. Thread-safe; lines never interleave, and the lines of one thread keep their
     * order.
     *
     * <p>Writes are combined: the sender that finds no write in progress writes every queued line and flushes once;
     * senders arriving meanwhile only queue theirs. Under load many messages then share one pipe write (and one
     * wake-up of the server), while a lone message is written at once by its own thread. A write failure closes the
     * connection, which fails every request in flight through {@link Listener#onClosed}, so a queued line is never
     * lost silently.
     *
     * @throws IOException when the server's stdin is closed
     */
    public void send(JsonNode message) throws IOException {
        byte[] json = JsonRpc.toBytes(message);
        if (closed.get()) {
            throw closedException();
        }
        outbox.add(json);
        while (!outbox.isEmpty() && writing.compareAndSet(false, true)) {
            try {
                writeQueued();
            } finally {
                writing.set(false);
            }
            // a line queued after the last poll, while the flag was still held, is written by this loop
        }
        if (closed.get()) {
            outbox.clear();
            throw closedException();
        }
    }

    private void writeQueued() throws IOException {
        if (closed.get()) {
            outbox.clear();
            return;
        }
        try {
            byte[] line;
            while ((line = outbox.poll()) != null) {
                serverStdin.write(line);
                serverStdin.write(NEWLINE);
            }
            serverStdin.flush();
        } catch (IOException e) {
            outbox.clear();
            closeWith("stdin closed: " + e.getMessage());
            throw e;
        }
    }

    private IOException closedException() {
        return new IOException("connection to MCP server '" + name + "' is closed: " + closeReason);
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

    /**
     * Waits until the stdout reader and the stderr copier threads have ended, at most until {@code timeout} has
     * passed: after {@link #close()}, so that nothing of this connection outlives its owner's stop. They end once the
     * server's pipes reach EOF, which a reaped process's do unless a child of it still holds them.
     *
     * @return whether both threads have ended (the calling thread itself is not waited for)
     */
    public boolean awaitThreads(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean ended = true;
        for (Thread thread : new Thread[] {stdoutReader, stderrCopier}) {
            if (thread != null && thread != Thread.currentThread()) {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                ended &= !thread.isAlive();
            }
        }
        return ended;
    }

    private void readLoop() {
        String reason = "MCP server closed its stdout";
        try (InputStream stdout = serverStdout) {
            readLines(stdout);
        } catch (IOException e) {
            reason = "reading the MCP server's stdout failed: " + e.getMessage();
        } catch (RuntimeException | Error e) {
            // Say, an OutOfMemoryError on a gigantic line. Without this the reader thread would die silently and
            // every request would wait for its timeout; closed, the server is restarted and requests fail at once.
            LOG.error("[{}] the stdout reader failed; closing the connection", name, e);
            reason = "the proxy could not read the MCP server's stdout: " + e;
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

    /**
     * Splits stdout into lines as bytes and parses each in place: no decoding to a String and back, which matters
     * because one thread reads every response of every session. A line longer than {@code maxMessageBytes} is not
     * kept: it is read past, and {@link #oversized} tells whoever waits for it.
     */
    private void readLines(InputStream stdout) throws IOException {
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

        void dispatchTo(StdioConnection connection) {
            connection.dispatch(buf, 0, count);
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
            listener.onTerminated();
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

    private static String abbreviate(byte[] bytes, int offset, int length) {
        String line = new String(bytes, offset, Math.min(length, 800), StandardCharsets.UTF_8);
        return line.length() <= 200 && length <= 800 ? line : line.substring(0, Math.min(200, line.length())) + "…";
    }
}
