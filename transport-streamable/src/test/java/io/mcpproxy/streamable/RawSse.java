package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.testing.ResponseHead;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/** For tests that hold SSE responses on plain sockets, to read them only when they want to or drop them. */
final class RawSse {

    private RawSse() {
    }

    /** Reads the response head, asserting 200 text/event-stream, and returns the stream positioned at the body. */
    static InputStream skipHead(InputStream in) throws IOException {
        String text = ResponseHead.read(in);
        assertTrue(text.startsWith("HTTP/1.0 200") || text.startsWith("HTTP/1.1 200"), text);
        assertTrue(text.toLowerCase(Locale.ROOT).contains("text/event-stream"), text);
        return in;
    }
}
