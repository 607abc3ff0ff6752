package io.mcpproxy.transparent;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Watches the start of a legacy SSE stream from an upstream for its {@code endpoint} event: learns the session id
 * from the announced POST URI and, when the proxy serves the upstream under a path prefix, rewrites that URI so
 * that clients POST through the proxy. Everything after the first event passes through untouched.
 */
final class EndpointEventRewriter {

    /** Longest stream head buffered while looking for the endpoint event. */
    private static final int MAX_HEAD = 16 * 1024;

    private final String pathPrefix;
    private final Consumer<String> sessionLearned;
    private final StringBuilder head = new StringBuilder();
    private boolean done;

    /**
     * @param pathPrefix     prefix the proxy serves this upstream under ("" for none)
     * @param sessionLearned called with the session id of the endpoint URI
     */
    EndpointEventRewriter(String pathPrefix, Consumer<String> sessionLearned) {
        this.pathPrefix = pathPrefix;
        this.sessionLearned = sessionLearned;
    }

    /**
     * Feeds a chunk of the upstream stream.
     *
     * @return the bytes to send to the client now (possibly empty while the first event is incomplete)
     */
    ByteBuffer apply(ByteBuffer chunk) {
        if (done) {
            return chunk;
        }
        head.append(StandardCharsets.UTF_8.decode(chunk.slice()));
        int end = eventEnd(head);
        if (end < 0) {
            if (head.length() > MAX_HEAD) { // not an SSE stream we understand: stop looking
                return release(head.toString());
            }
            return ByteBuffer.allocate(0);
        }
        String first = head.substring(0, end);
        String rest = head.substring(end);
        return release(rewrite(first) + rest);
    }

    /** Whatever is still held, at the end of the stream. */
    ByteBuffer flush() {
        return done ? ByteBuffer.allocate(0) : release(head.toString());
    }

    private ByteBuffer release(String text) {
        done = true;
        head.setLength(0);
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private String rewrite(String event) {
        String[] lines = event.split("\r?\n", -1);
        boolean endpoint = false;
        for (String line : lines) {
            if (line.startsWith("event:") && line.substring(6).trim().equals("endpoint")) {
                endpoint = true;
            }
        }
        if (!endpoint) {
            return event;
        }
        StringBuilder out = new StringBuilder(event.length() + pathPrefix.length());
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.startsWith("data:")) {
                String uri = line.substring(5).trim();
                learn(uri);
                line = "data: " + throughProxy(uri);
            }
            out.append(line);
            if (i < lines.length - 1) {
                out.append('\n');
            }
        }
        return out.toString();
    }

    private void learn(String uri) {
        String query = URI.create(uri).getRawQuery();
        if (query == null) {
            return;
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            if ((name.equals("session_id") || name.equals("sessionId")) && equals > 0) {
                sessionLearned.accept(java.net.URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
                return;
            }
        }
    }

    /** The upstream's POST URI as the client must use it: path (and query) under the proxy's prefix. */
    private String throughProxy(String uri) {
        if (pathPrefix.isEmpty()) {
            return uri;
        }
        URI parsed = URI.create(uri);
        String pathAndQuery = parsed.getRawPath() + (parsed.getRawQuery() == null ? "" : "?" + parsed.getRawQuery());
        return pathPrefix + pathAndQuery;
    }

    /** Index just past the blank line that ends the first event, or -1. */
    private static int eventEnd(CharSequence text) {
        String string = text.toString();
        int lf = string.indexOf("\n\n");
        int crlf = string.indexOf("\r\n\r\n");
        if (lf < 0 && crlf < 0) {
            return -1;
        }
        if (crlf >= 0 && (lf < 0 || crlf < lf)) {
            return crlf + 4;
        }
        return lf + 2;
    }
}
