package io.mcpproxy.transparent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An upstream that answers every request with the head of an event stream, or with nothing at all, and then says
 * nothing, reading its socket the whole time: the moment the proxy closes the connection, it knows. A Jetty server
 * would not notice before its next write.
 */
final class SilentStreamUpstream implements AutoCloseable {

    private static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";

    final AtomicInteger requestsSeen = new AtomicInteger();
    final AtomicLong closedAtNanos = new AtomicLong();
    private final ServerSocket server;
    private final boolean sendsHead;

    /** @param sendsHead whether a stream head is sent, or the request is left without any answer */
    SilentStreamUpstream(boolean sendsHead) throws IOException {
        this.sendsHead = sendsHead;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "silent-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/mcp");
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread connection = new Thread(() -> serve(socket), "silent-upstream-connection");
                connection.setDaemon(true);
                connection.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            int matched = 0; // of the "\r\n\r\n" that ends the request head
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
            }
            if (sendsHead) {
                OutputStream out = socket.getOutputStream();
                out.write(HEAD.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
            requestsSeen.incrementAndGet();
            while (in.read() >= 0) {
                // the rest of a request body, then nothing until the proxy closes
            }
        } catch (IOException reset) {
            // a reset is a close too
        }
        closedAtNanos.set(System.nanoTime());
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
