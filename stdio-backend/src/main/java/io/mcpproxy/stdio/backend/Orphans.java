package io.mcpproxy.stdio.backend;

import io.mcpproxy.stdio.backend.RequestTable.LocalAnswer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests the proxy answered on its own while the server may still work on them, by proxy id. Not thread-safe:
 * the {@link RequestTable}'s lock guards it, as a request leaves the requests in flight and becomes an orphan in one
 * step; what is forgotten is logged after that lock is released.
 */
final class Orphans {

    private static final Logger LOG = LoggerFactory.getLogger(Orphans.class);

    /**
     * A request the proxy answered on its own and the server has not answered yet: it stays its session's (for
     * attributing the server's messages) until the server answers it, the server exits, or the cancel grace has
     * passed.
     */
    record Orphan(long proxyId, ClientSession session, String method, LocalAnswer why, long orphanedAt) {
    }

    private final String serverName;
    private final LongSupplier nanoClock;
    /**
     * How long an orphan keeps its claim on the server's unattributable messages (the server got
     * {@code notifications/cancelled} for each one). Servers that honour the cancel never answer (the specification
     * asks them not to), and those that finish the work anyway send its last messages soon after: a longer claim
     * would only keep every other session's unattributable messages undeliverable.
     */
    private final long cancelGraceNanos;
    private final Map<Long, Orphan> byProxyId = new HashMap<>();

    /**
     * @param cancelGrace how long an orphan still claims the server's unattributable messages (see
     *                    {@link StdioBackendSettings#cancelGrace})
     * @param nanoClock   the time source of orphan ages
     */
    Orphans(String serverName, Duration cancelGrace, LongSupplier nanoClock) {
        this.serverName = serverName;
        this.nanoClock = nanoClock;
        this.cancelGraceNanos = cancelGrace.toNanos();
    }

    /** {@code request}, answered by the proxy because of {@code why}, is an orphan from now on. */
    void add(ClientRequest request, LocalAnswer why) {
        byProxyId.put(request.proxyId, new Orphan(request.proxyId, request.session, request.method, why,
                nanoClock.getAsLong()));
    }

    /** The server answered {@code proxyId}: false when it is no orphan. */
    boolean remove(long proxyId) {
        return byProxyId.remove(proxyId) != null;
    }

    /** A live view of the orphans. */
    Collection<Orphan> all() {
        return byProxyId.values();
    }

    /** Forgets the orphans of the dead process's sessions. */
    void forget(ServerProcess dead) {
        byProxyId.values().removeIf(orphan -> orphan.session().process() == dead);
    }

    /** Orphans past the cancel grace count as dropped by the server (as it does when it honours a cancel). */
    List<Orphan> forgetStale() {
        if (byProxyId.isEmpty()) {
            return List.of();
        }
        long now = nanoClock.getAsLong();
        List<Orphan> stale = null;
        for (Iterator<Orphan> it = byProxyId.values().iterator(); it.hasNext(); ) {
            Orphan orphan = it.next();
            if (now - orphan.orphanedAt() >= cancelGraceNanos) {
                it.remove();
                stale = stale == null ? new ArrayList<>() : stale;
                stale.add(orphan);
            }
        }
        return stale == null ? List.of() : stale;
    }

    /** Logs what {@link #forgetStale} returned; called once the table's lock is released. */
    void logForgotten(List<Orphan> stale) {
        for (Orphan orphan : stale) {
            LOG.info("[{}] id {} ({} of {}, {}) is past the cancel grace: it no longer claims the server's messages",
                    serverName, orphan.proxyId(), orphan.method(), orphan.session(), orphan.why());
        }
    }
}
