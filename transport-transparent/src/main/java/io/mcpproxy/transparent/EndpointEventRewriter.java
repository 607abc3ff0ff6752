package io.mcpproxy.transparent;

import io.mcpproxy.core.forward.BodyTransformer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.URIUtil;

/**
 * Watches the start of a legacy SSE stream from an upstream for its {@code endpoint} event: learns the session id
 * from the announced POST URI and rewrites that URI where the client would otherwise miss the proxy (an absolute
 * URI naming the upstream itself; any URI when the proxy serves the upstream under a path prefix). Events before
 * it (comments, {@code retry:}) pass on as they complete; everything after it passes through untouched, and so
 * does a stream that announces no endpoint in its first 16 KiB.
 */
final class EndpointEventRewriter implements BodyTransformer {

    /** Longest stream head buffered while looking for the endpoint event. */
    private static final int MAX_HEAD = 16 * 1024;
    /** SSE ends a line with CR LF, LF or CR. */
    private static final Pattern LINE_BREAK = Pattern.compile("\r\n|\r|\n");

    private final String pathPrefix;
    private final URI upstreamStream;
    private final BiConsumer<String, String> sessionLearned;
    /** The stream's bytes not yet passed on, held as bytes: a chunk may end inside a UTF-8 sequence. */
    private ByteBuffer head = ByteBuffer.allocate(1024);
    /** Bytes of the stream examined so far, passed on or held. */
    private long examined;
    private boolean done;

    /**
     * @param pathPrefix     prefix the proxy serves this upstream under ("" for none)
     * @param upstreamPath   the path (and query) the stream was requested with upstream: what a relative
     *                       endpoint URI is resolved against
     * @param sessionLearned called with the session id of the endpoint URI and the upstream path it names
     *                       (decoded, dot segments resolved; null when that cannot be read)
     */
    EndpointEventRewriter(String pathPrefix, String upstreamPath, BiConsumer<String, String> sessionLearned) {
        this.pathPrefix = pathPrefix;
        this.upstreamStream = streamUri(upstreamPath);
        this.sessionLearned = sessionLearned;
    }

    /**
     * Feeds a chunk of the upstream stream.
     *
     * @return the bytes to send to the client now (possibly empty while an event is incomplete)
     */
    @Override
    public ByteBuffer apply(ByteBuffer chunk) {
        if (done) {
            return chunk;
        }
        examined += chunk.remaining();
        append(chunk.slice());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        int end;
        while (!done && (end = eventEnd(head, from)) >= 0) {
            // The blank line is ASCII, so the event is whole UTF-8; it is decoded only to read it, and its bytes
            // pass as they came unless its URI is rewritten.
            String event = new String(head.array(), from, end - from, StandardCharsets.UTF_8);
            String rewritten = rewrite(event);
            if (rewritten == null) {
                out.write(head.array(), from, end - from); // a comment, retry: or another event before it
            } else {
                out.writeBytes(rewritten.getBytes(StandardCharsets.UTF_8));
                done = true;
            }
            from = end;
        }
        if (done || examined > MAX_HEAD) { // found, or too long a head: stop looking
            out.write(head.array(), from, head.position() - from);
            done = true;
            head = null;
        } else {
            compact(from);
        }
        return out.size() == 0 ? BufferUtil.EMPTY_BUFFER : ByteBuffer.wrap(out.toByteArray());
    }

    /** Whatever is still held, at the end of the stream. */
    @Override
    public ByteBuffer flush() {
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

    /** Drops the first {@code count} held bytes (passed on already). */
    private void compact(int count) {
        if (count > 0) {
            head.flip().position(count);
            head.compact();
        }
    }

    /**
     * The endpoint event with its URI learned and, where needed, rewritten to reach the upstream through the
     * proxy; null when {@code event} is not the endpoint event.
     */
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
            return null;
        }
        StringBuilder out = new StringBuilder(event.length() + pathPrefix.length());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("data:")) {
                String uri = line.substring(5).trim();
                learn(uri);
                String throughProxy = throughProxy(uri);
                if (!throughProxy.equals(uri)) {
                    line = "data: " + throughProxy;
                }
            }
            out.append(line).append(breaks.get(i));
        }
        return out.toString();
    }

    private void learn(String uri) {
        URI parsed = parse(uri);
        String id = parsed == null || parsed.getRawQuery() == null ? null
                : ClientRequests.sessionIdInQuery(parsed.getRawQuery());
        if (id != null) {
            sessionLearned.accept(id, upstreamPathOf(parsed));
        }
    }

    /** The upstream path a (parsed) endpoint URI names, decoded and canonical; null when that cannot be read. */
    private String upstreamPathOf(URI endpoint) {
        String rawPath;
        if (!endpoint.isAbsolute() && endpoint.getRawAuthority() == null && endpoint.getRawPath().isEmpty()) {
            rawPath = upstreamStream.getRawPath(); // "?session_id=x": the stream's own path
        } else {
            rawPath = upstreamStream.resolve(endpoint).getRawPath();
        }
        try {
            return URIUtil.canonicalPath(URIUtil.decodePath(rawPath == null || rawPath.isEmpty() ? "/" : rawPath));
        } catch (IllegalArgumentException undecodable) {
            return null;
        }
    }

    /**
     * The upstream's POST URI as the client must use it. A relative one without a prefix reaches the proxy as it
     * is (the client resolves it against the proxy's stream URI, whose path is the upstream's). An absolute one
     * names the upstream, which the client must not bypass (nor may be able to reach), and under a prefix every
     * one moves below it: those become the path (and query) on the proxy, resolved against the upstream stream.
     */
    private String throughProxy(String uri) {
        URI parsed = parse(uri);
        boolean absolute = parsed != null && (parsed.isAbsolute() || parsed.getRawAuthority() != null);
        if (parsed == null || parsed.isOpaque() || !absolute && pathPrefix.isEmpty()) {
            return uri;
        }
        String path;
        String query;
        if (!absolute && parsed.getRawPath().isEmpty()) {
            // "?session_id=x": the stream's own path (RFC 3986 5.2.2; java.net.URI.resolve would cut its last segment)
            path = upstreamStream.getRawPath();
            query = parsed.getRawQuery() != null ? parsed.getRawQuery() : upstreamStream.getRawQuery();
        } else {
            URI resolved = upstreamStream.resolve(parsed);
            path = resolved.getRawPath() == null || resolved.getRawPath().isEmpty() ? "/" : resolved.getRawPath();
            query = resolved.getRawQuery();
        }
        return pathPrefix + path + (query == null ? "" : "?" + query);
    }

    /**
     * The upstream stream's URI to resolve against: its path and query, the query dropped (then the path, then
     * all) where java.net.URI cannot read what Jetty forwarded (a '|' in the query, say).
     */
    private static URI streamUri(String pathAndQuery) {
        int question = pathAndQuery.indexOf('?');
        String path = question < 0 ? pathAndQuery : pathAndQuery.substring(0, question);
        for (String candidate : new String[] {pathAndQuery, path, "/"}) {
            URI uri = parse("http://upstream" + (candidate.startsWith("/") ? "" : "/") + candidate);
            if (uri != null) {
                return uri;
            }
        }
        throw new AssertionError("http://upstream/ is a URI");
    }

    /** An endpoint URI, or null for one java.net.URI cannot read: that one is left alone, nothing learned. */
    private static URI parse(String uri) {
        try {
            return new URI(uri);
        } catch (URISyntaxException malformed) {
            return null;
        }
    }

    /** Index just past the blank line (LF LF, CR LF CR LF or CR CR) that ends the event at {@code from}, or -1. */
    private static int eventEnd(ByteBuffer head, int from) {
        byte[] bytes = head.array();
        for (int i = from, end = head.position(); i + 1 < end; i++) {
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
