package io.mcpproxy.transparent;

import java.net.URI;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import org.eclipse.jetty.util.URIUtil;

/**
 * Which upstream paths the transparent proxy forwards: by default each target's endpoint path and the paths named
 * by {@code forwardPaths}, or any path at all. Paths are compared decoded and with dot segments resolved, as Jetty
 * routes them, so {@code /mcp/../admin} is {@code /admin} and {@code /m%63p} is {@code /mcp}. A legacy SSE
 * upstream's message path is not here: it is learned per session from the stream's endpoint event.
 */
final class ExposedPaths {

    private final boolean any;
    private final Set<String> paths;

    private ExposedPaths(boolean any, Set<String> paths) {
        this.any = any;
        this.paths = paths;
    }

    /** Any path goes to the upstream (the proxy's behaviour before paths were limited). */
    static ExposedPaths any() {
        return new ExposedPaths(true, Set.of());
    }

    /** The targets' endpoint paths and {@code extra}, each a canonical absolute path. */
    static ExposedPaths of(Collection<URI> targets, Collection<String> extra) {
        Set<String> paths = new LinkedHashSet<>();
        for (URI target : targets) {
            String path = canonical(target.getRawPath() == null || target.getRawPath().isEmpty() ? "/"
                    : URIUtil.decodePath(target.getRawPath()));
            paths.add(path == null ? "/" : path);
        }
        paths.addAll(extra);
        return new ExposedPaths(false, Set.copyOf(paths));
    }

    /**
     * {@code path}, validated as a forwarded path option: absolute, without query, already canonical (no dot
     * segments, no empty segments).
     */
    static String requireForwardPath(String path) {
        Objects.requireNonNull(path, "forwardPath");
        if (!path.startsWith("/") || path.contains("?") || path.contains("//") || !path.equals(canonical(path))) {
            throw new IllegalArgumentException(
                    "forwardPath must be an absolute path without query or dot segments, got " + path);
        }
        return path;
    }

    /** Whether the decoded, canonical upstream path {@code path} is forwarded without further evidence. */
    boolean allows(String path) {
        return any || paths.contains(path);
    }

    /** {@code path} with dot segments resolved; null when they climb above the root. */
    static String canonical(String path) {
        return URIUtil.canonicalPath(path);
    }
}
