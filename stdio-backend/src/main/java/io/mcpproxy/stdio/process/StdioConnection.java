package io.mcpproxy.stdio.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
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
    static final byte NEWLINE = '\n';

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
            new ServerOutput(name, maxMessageBytes, listener).read(stdout);
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
}
