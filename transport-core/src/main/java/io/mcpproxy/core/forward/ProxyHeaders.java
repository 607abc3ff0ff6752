package io.mcpproxy.core.forward;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Request;

/**
 * Which headers cross the proxy: everything end to end, nothing connection-scoped (RFC 9110 7.6.1), and on the way
 * up who the client is ({@code X-Forwarded-For/Proto/Host} and {@code Forwarded}, appended to any a proxy in front
 * of this one added).
 */
final class ProxyHeaders {

    /** Connection-scoped headers that a proxy must not forward. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private ProxyHeaders() {
    }

    /**
     * The client's end-to-end headers, the forwarding headers, and {@code Connection: close} when the request must
     * not leave its connection in the pool.
     */
    static void copyClientToProxyRequest(Request clientToProxyRequest, HttpFields.Mutable proxyToServerHeaders,
                                         boolean pooled) {
        HttpFields clientHeaders = clientToProxyRequest.getHeaders();
        Set<String> connectionScoped = connectionTokens(clientHeaders);
        for (HttpField field : clientHeaders) {
            String name = field.getLowerCaseName();
            // Expect: the body is already read whole (Jetty sent the client its 100 Continue); forwarded, it would
            // make the upstream client wait for a 100 before sending a body that is ready.
            if (HOP_BY_HOP.contains(name) || connectionScoped.contains(name) || field.getHeader() == HttpHeader.HOST
                    || field.getHeader() == HttpHeader.CONTENT_LENGTH || field.getHeader() == HttpHeader.EXPECT) {
                continue;
            }
            proxyToServerHeaders.add(field);
        }
        addForwardedHeaders(clientToProxyRequest, proxyToServerHeaders);
        if (!pooled) {
            proxyToServerHeaders.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        }
    }

    private static void addForwardedHeaders(Request clientToProxyRequest, HttpFields.Mutable proxyToServerHeaders) {
        HttpFields clientHeaders = clientToProxyRequest.getHeaders();
        String clientAddress = Request.getRemoteAddr(clientToProxyRequest);
        String host = clientHeaders.get(HttpHeader.HOST);
        String scheme = clientToProxyRequest.getHttpURI().getScheme();
        String forwardedFor = clientHeaders.get(HttpHeader.X_FORWARDED_FOR);
        proxyToServerHeaders.put(HttpHeader.X_FORWARDED_FOR,
                forwardedFor == null ? clientAddress : forwardedFor + ", " + clientAddress);
        proxyToServerHeaders.put(HttpHeader.X_FORWARDED_PROTO, scheme);
        if (host != null) {
            proxyToServerHeaders.put(HttpHeader.X_FORWARDED_HOST, host);
        }
        String forwarded = "for=" + quoteIfIpv6(clientAddress) + ";proto=" + scheme
                + (host == null ? "" : ";host=\"" + host + "\"");
        String earlier = clientHeaders.get(HttpHeader.FORWARDED);
        proxyToServerHeaders.put(HttpHeader.FORWARDED, earlier == null ? forwarded : earlier + ", " + forwarded);
    }

    /** @param bodyTransformed whether the body may change length on its way (its Content-Length then stays behind) */
    static void copyServerToProxyResponse(HttpFields serverToProxyHeaders, HttpFields.Mutable proxyToClientHeaders,
                                          boolean bodyTransformed) {
        Set<String> connectionScoped = connectionTokens(serverToProxyHeaders);
        for (HttpField field : serverToProxyHeaders) {
            String name = field.getLowerCaseName();
            if (HOP_BY_HOP.contains(name) || connectionScoped.contains(name)) {
                continue;
            }
            if (field.getHeader() == HttpHeader.CONTENT_LENGTH && bodyTransformed) {
                continue;
            }
            proxyToClientHeaders.add(field);
        }
    }

    /**
     * The header names every {@code Connection} field lists (there may be several fields), besides those dropped
     * anyway: nearly every message says just {@code keep-alive}, and that costs no set.
     */
    private static Set<String> connectionTokens(HttpFields headers) {
        Set<String> tokens = Set.of();
        for (HttpField field : headers) {
            if (field.getHeader() != HttpHeader.CONNECTION) {
                continue;
            }
            for (String token : field.getValue().split(",")) {
                String name = token.trim().toLowerCase(Locale.ROOT);
                if (!HOP_BY_HOP.contains(name) && !name.equals("close") && !name.isEmpty()) {
                    if (tokens.isEmpty()) {
                        tokens = new HashSet<>();
                    }
                    tokens.add(name);
                }
            }
        }
        return tokens;
    }

    private static String quoteIfIpv6(String address) {
        return address.contains(":") ? "\"[" + address + "]\"" : address;
    }
}
