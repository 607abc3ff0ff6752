package io.mcpproxy.session.redis;

import java.net.URI;
import java.net.URISyntaxException;
import redis.clients.jedis.util.JedisURIHelper;

/** Reading Redis URIs without ever echoing their password: a refusal quotes the URI with its userinfo hidden. */
final class RedisUris {

    private static final String SHAPE = "redis://host:port[/db] or rediss://...";

    private RedisUris() {
    }

    /** {@code text} as a URI. */
    static URI parse(String text) {
        if (text == null) {
            throw new NullPointerException("uri");
        }
        try {
            return new URI(text);
        } catch (URISyntaxException malformed) { // its message would quote the URI, password and all
            throw new IllegalArgumentException("not a Redis URI (" + SHAPE + "): " + redact(text) + " ("
                    + malformed.getReason() + " at index " + malformed.getIndex() + ")");
        }
    }

    /**
     * {@code uri} with {@code defaultPort} where it names none (the port is optional, as with redis-cli -u).
     *
     * @throws IllegalArgumentException when it is not a Redis URI Jedis can read
     */
    static URI withDefaultPort(URI uri, int defaultPort) {
        if (uri.getPort() == -1 && uri.getHost() != null) {
            uri = URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + ":" + defaultPort
                    + (uri.getRawPath() == null ? "" : uri.getRawPath())
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        }
        if (!JedisURIHelper.isValid(uri)) {
            throw new IllegalArgumentException("not a Redis URI (" + SHAPE + "): " + redact(uri.toString()));
        }
        return uri;
    }

    /** The URI text with whatever stands between "://" and the last '@' before the host replaced by ***. */
    static String redact(String uri) {
        int scheme = uri.indexOf("://");
        int start = scheme < 0 ? 0 : scheme + 3;
        int slash = uri.indexOf('/', start);
        int at = uri.lastIndexOf('@', slash < 0 ? uri.length() : slash);
        return at < start ? uri : uri.substring(0, start) + "***" + uri.substring(at);
    }
}
