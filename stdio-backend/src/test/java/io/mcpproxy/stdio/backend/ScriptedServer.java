package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.process.StdioServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A stdio server played by the test on a handed-in stream pair: it reads what the proxy writes, and answers. */
final class ScriptedServer implements AutoCloseable {

    private final PipedOutputStream stdout; // the test writes the server's output here
    private final StdioServer server;
    /** Filled by one long-lived thread: a piped stream breaks once the thread that last read it has died. */
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

    ScriptedServer(String name) throws IOException {
        PipedInputStream proxyReads = new PipedInputStream(1 << 16);
        stdout = new PipedOutputStream(proxyReads);
        PipedInputStream serverReads = new PipedInputStream(1 << 16);
        OutputStream proxyWrites = new PipedOutputStream(serverReads);
        server = StdioServer.streams(name, proxyReads, proxyWrites);
        BufferedReader stdin = new BufferedReader(new InputStreamReader(serverReads, StandardCharsets.UTF_8));
        Thread reader = new Thread(() -> {
            try {
                for (String line = stdin.readLine(); line != null; line = stdin.readLine()) {
                    received.add(line);
                }
            } catch (IOException closed) {
                // the proxy closed its end
            }
        }, "scripted-server-stdin");
        reader.setDaemon(true);
        reader.start();
    }

    StdioServer server() {
        return server;
    }

    /** The next message the proxy wrote to the server, waiting up to 5 s. */
    ObjectNode receives() throws InterruptedException {
        String line = received.poll(5, TimeUnit.SECONDS);
        if (line == null) {
            throw new AssertionError("the proxy sent nothing to the server");
        }
        return (ObjectNode) JsonRpc.parse(line.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether the proxy wrote nothing more within {@code millis}. */
    boolean receivesNothingWithin(long millis) throws InterruptedException {
        return received.poll(millis, TimeUnit.MILLISECONDS) == null;
    }

    void sends(String json) throws IOException {
        stdout.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        stdout.flush();
    }

    /** Ends the server's output: a pipe's reader waits for its writer, and a stop for the reader. */
    @Override
    public void close() throws IOException {
        stdout.close();
    }
}
