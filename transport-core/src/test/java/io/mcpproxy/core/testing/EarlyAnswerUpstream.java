package io.mcpproxy.core.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream that answers as soon as it has read a request head, without reading the body (as servers do that
 * refuse a body for its size or a missing credential), and then closes the connection with the body unread: the
 * proxy's body write fails after the upstream has answered.
 */
public final class EarlyAnswerUpstream extends SocketUpstream {

    public static final String BODY = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"too large\"},\"id\":null}";

    public final AtomicInteger requestsSeen = new AtomicInteger();

    public EarlyAnswerUpstream() throws IOException {
        super("early-answer-upstream", 4096);
        startAccepting();
    }

    @Override
    protected void serve(Socket socket) {
        try (socket) {
            if (readRequestHead(socket.getInputStream()) == null) {
                return;
            }
            requestsSeen.incrementAndGet();
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: "
                    + BODY.length() + "\r\nConnection: close\r\n\r\n" + BODY).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread.sleep(300); // the answer is on its way; the body is still coming, unread
        } catch (IOException | InterruptedException e) {
            // closed by the proxy
        }
    }
}
