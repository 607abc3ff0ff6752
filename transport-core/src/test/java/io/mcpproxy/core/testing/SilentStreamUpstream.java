package io.mcpproxy.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An upstream that answers every request with the head of an event stream, or with nothing at all, and then says
 * nothing, reading its socket the whole time: the moment the proxy closes the connection, it knows. A Jetty server
 * would not notice before its next write.
 */
public final class SilentStreamUpstream extends SocketUpstream {

    private static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";

    public final AtomicInteger requestsSeen = new AtomicInteger();
    public final AtomicLong closedAtNanos = new AtomicLong();
    private final boolean sendsHead;

    /** @param sendsHead whether a stream head is sent, or the request is left without any answer */
    public SilentStreamUpstream(boolean sendsHead) throws IOException {
        super("silent-upstream");
        this.sendsHead = sendsHead;
        startAccepting();
    }

    @Override
    protected void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            if (readRequestHead(in) == null) {
                return;
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
}
