package io.mcpproxy.transparent;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * What the transparent proxy reads off a client request to decide where it goes: the session it names
 * ({@code Mcp-Session-Id}, or a legacy HTTP+SSE POST's query parameter, read as the endpoint event's URI is read
 * when the session is learned), whether a body follows, whether its target can be sent on as it is, and whether its
 * body starts a session. Stateless readings, kept apart from {@link TransparentHandler}'s routing so that the
 * handler, the exchange and the endpoint rewriter share one reading of each.
 */
final class ClientRequests {

    static final String SESSION_HEADER = "Mcp-Session-Id";

    private ClientRequests() {
    }

    /** The session a request names: {@code Mcp-Session-Id}, or the legacy SSE POST's query parameter. */
    static String sessionIdOf(Request request) {
        String header = request.getHeaders().get(SESSION_HEADER);
        if (header != null) {
            return header;
        }
        String query = request.getHttpURI().getQuery();
        return query == null ? null : sessionIdInQuery(query);
    }

    /**
     * The session a legacy SSE POST URI's raw query names ({@code session_id}, or {@code sessionId} as some servers
     * spell it), or null. One reading for both ends: the id learned from an endpoint event is the id looked up.
     */
    static String sessionIdInQuery(String query) {
        String legacy = queryParameter(query, "session_id");
        return legacy != null ? legacy : queryParameter(query, "sessionId");
    }

    /** A POST naming its session in the query: the legacy HTTP+SSE transport's message path may be its path. */
    static boolean mayBeLegacyMessage(Request request) {
        String query = request.getHttpURI().getQuery();
        return "POST".equals(request.getMethod()) && request.getHeaders().get(SESSION_HEADER) == null
                && query != null && sessionIdInQuery(query) != null;
    }

    /**
     * The first value of {@code name} in a raw query string; lenient, because the request is forwarded as it is
     * (a value that does not percent-decode is taken verbatim, a malformed neighbour does not matter).
     */
    private static String queryParameter(String query, String name) {
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            if (equals == name.length() && pair.startsWith(name)) {
                String value = pair.substring(equals + 1);
                try {
                    return URLDecoder.decode(value, StandardCharsets.UTF_8);
                } catch (IllegalArgumentException malformed) {
                    return value;
                }
            }
        }
        return null;
    }

    /** Whether {@code target} has a '%' not followed by two hex digits (RFC 3986 section 2.1). */
    static boolean hasMalformedEscape(String target) {
        for (int i = target.indexOf('%'); i >= 0; i = target.indexOf('%', i + 1)) {
            if (i + 2 >= target.length() || Character.digit(target.charAt(i + 1), 16) < 0
                    || Character.digit(target.charAt(i + 2), 16) < 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether a body follows the request head: one of known length, or a chunked one. */
    static boolean hasBody(Request request) {
        return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /** Whether a POST body is (or contains, in a batch) an initialize request. */
    static boolean isInitialize(byte[] body) {
        JsonNode json = JsonRpc.parseOrNull(body);
        if (json == null) {
            return false;
        }
        for (JsonNode message : json.isArray() ? json : List.of(json)) {
            if ("initialize".equals(message.path("method").asText(null))) {
                return true;
            }
        }
        return false;
    }
}
