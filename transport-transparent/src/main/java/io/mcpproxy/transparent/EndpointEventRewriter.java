package io.mcpproxy.transparent;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Watches the start of a legacy SSE stream from an upstream for its {@code endpoint} event: learns the session id
 * from the announced POST URI and, when the proxy serves the upstream under a path prefix, rewrites that URI so
 * that clients POST through the proxy. Everything after the first event passes through untouched.
 */
final class EndpointEventRewriter {

    /** Longest stream head buffered while looking for the endpoint event. */
    private static final int MAX_HEAD = 16 * 1024;
    /** SSE ends a line with CR LF, LF or CR. */
    private static final Pattern LINE_BREAK = Pattern.compile("\r\n|\r|\n");

    private final String pathPrefix;
    private final Consumer<String> sessionLearned;
    /** The stream's bytes so far, held as bytes: a chunk may end inside a UTF-8 sequence. */
    private ByteBuffer head = ByteBuffer.allocate(1024);
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
        append(chunk.slice());
        int end = eventEnd(head);
        if (end < 0) {
            return head.position() > MAX_HEAD ? release() : BufferUtil.EMPTY_BUFFER; // too long: stop looking
        }
        // The blank line is ASCII, so the first event is whole UTF-8; it is decoded only to read it, and its
        // bytes pass as they came unless its URI is rewritten.
        String first = new String(head.array(), 0, end, StandardCharsets.UTF_8);
        String rewritten = rewrite(first);
        if (rewritten.equals(first)) {
            return release();
        }
        byte[] event = rewritten.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(event.length + head.position() - end);
        out.put(event).put(head.array(), end, head.position() - end).flip();
        done = true;
        head = null;
        return out;
    }

    /** Whatever is still held, at the end of the stream. */
    ByteBuffer flush() {
        return done ? BufferUtil.EMPTY_BUFFER : release();
    }

    private void append(ByteBuffer chunk) {
        if (head.remaining() < chunk.remaining()) {
            ByteBuffer larger = ByteBuffer.allocate(Math.max(head.capacity() * 2, head.position() + chunk.remaining()));
            head.flip();
            larger.put(head);
            head = larger;
        }
        head.put(chunk);
    }

    private ByteBuffer release() {
        done = true;
        ByteBuffer held = head.flip();
        head = null;
        return held;
    }

    /** The first event, its endpoint URI (if it is the endpoint event) learned and put under the prefix. */
    private String rewrite(String event) {
        List<String> lines = new ArrayList<>();
        List<String> breaks = new ArrayList<>(); // each line's own line break, kept as the upstream wrote it
        Matcher lineBreak = LINE_BREAK.matcher(event);
        int start = 0;
        while (lineBreak.find()) {
            lines.add(event.substring(start, lineBreak.start()));
            breaks.add(lineBreak.group());
            start = lineBreak.end();
        }
        lines.add(event.substring(start));
        breaks.add("");
        if (lines.stream().noneMatch(line -> line.startsWith("event:")
                && line.substring(6).trim().equals("endpoint"))) {
            return event;
        }
        StringBuilder out = new StringBuilder(event.length() + pathPrefix.length());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("data:")) {
                String uri = line.substring(5).trim();
                learn(uri);
                if (!pathPrefix.isEmpty()) {
                    line = "data: " + throughProxy(uri);
                }
            }
            out.append(line).append(breaks.get(i));
        }
        return out.toString();
    }

    private void learn(String uri) {
        URI parsed = parse(uri);
        String id = parsed == null || parsed.getRawQuery() == null ? null
                : TransparentHandler.sessionIdInQuery(parsed.getRawQuery());
        if (id != null) {
            sessionLearned.accept(id);
        }
    }

    /** The upstream's POST URI as the client must use it: path (and query) under the proxy's prefix. */
    private String throughProxy(String uri) {
        URI parsed = parse(uri);
        if (parsed == null || parsed.getRawPath() == null) {
            return uri;
        }
        String pathAndQuery = parsed.getRawPath() + (parsed.getRawQuery() == null ? "" : "?" + parsed.getRawQuery());
        return pathPrefix + pathAndQuery;
    }

    /** An endpoint URI, or null for one java.net.URI cannot read: that one is left alone, nothing learned. */
    private static URI parse(String uri) {
        try {
            return new URI(uri);
        } catch (URISyntaxException malformed) {
            return null;
        }
    }

    /** Index just past the blank line (LF LF, CR LF CR LF or CR CR) that ends the first event, or -1. */
    private static int eventEnd(ByteBuffer head) {
        byte[] bytes = head.array();
        for (int i = 0, end = head.position(); i + 1 < end; i++) {
            if (bytes[i] == '\n' && bytes[i + 1] == '\n') {
                return i + 2;
            }
            if (bytes[i] == '\r' && bytes[i + 1] == '\r') {
                return i + 2;
            }
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && i + 3 < end && bytes[i + 2] == '\r'
                    && bytes[i + 3] == '\n') {
                return i + 4;
            }
        }
        return -1;
    }
}
