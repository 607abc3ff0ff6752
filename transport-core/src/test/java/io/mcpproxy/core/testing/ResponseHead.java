package io.mcpproxy.core.testing;

import java.io.IOException;
import java.io.InputStream;

/** Reading an HTTP/1.x response head byte by byte off a plain socket, leaving the stream at the body. */
public final class ResponseHead {

    private ResponseHead() {
    }

    /** The head up to and including its empty line; fails if the connection ends inside it. */
    public static String read(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside the response head: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }
}
