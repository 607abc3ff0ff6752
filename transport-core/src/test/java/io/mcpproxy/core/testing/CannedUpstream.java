package io.mcpproxy.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * An upstream that answers each request (head only, no body) with the bytes given for its request line, exactly
 * as given: framings a Jetty server would never produce, such as a HEAD answered with {@code Transfer-Encoding:
 * chunked} and no length. Connections stay open for the next request.
 */
public final class CannedUpstream extends SocketUpstream {

    private final Map<String, String> answers;

    /** @param answers full response text (head and body) by request line, such as {@code "HEAD /x HTTP/1.1"} */
    public CannedUpstream(Map<String, String> answers) throws IOException {
        super("canned-upstream");
        this.answers = answers;
        startAccepting();
    }

    @Override
    protected void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            while (true) {
                String head = readRequestHead(in);
                if (head == null) {
                    return;
                }
                String requestLine = head.substring(0, head.indexOf("\r\n"));
                String answer = answers.getOrDefault(requestLine,
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                socket.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
            }
        } catch (IOException reset) {
            // the proxy closed the connection
        }
    }
}
