package io.mcpproxy.stdio;

import java.util.concurrent.ConcurrentHashMap;
import io.mcpproxy.core.observe.SseMetrics;
import io.mcpproxy.core.observe.HttpMetrics;
import io.mcpproxy.session.Session;
import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.stdio.backend.BackendStats;
import io.mcpproxy.stdio.backend.Backends;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one stdio proxy, registered when it is built: HTTP exchanges ({@link HttpMetrics}), sessions per
 * transport and the MCP server processes. The backend's meters read {@link BackendStats}, which counts anyway, so
 * a message costs nothing more for them. Without a registry ({@link #NONE}) nothing is registered or recorded.
 */
final class StdioMetrics {

    static final StdioMetrics NONE = new StdioMetrics(null);

    private final MeterRegistry registry;
    private final HttpMetrics http;
    private final Map<Session.Type, SseMetrics> sse = new ConcurrentHashMap<>();

    StdioMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.http = registry == null ? null : new HttpMetrics(registry);
    }

    /** The HTTP exchange timers, or null without a registry. */
    HttpMetrics http() {
        return http;
    }

    /** The session meters of one transport's sessions; {@code active} counts those held here. */
    SessionMeters sessions(Session.Type type, Supplier<Number> active) {
        if (registry == null) {
            return SessionMeters.NONE;
        }
        String transport = type.wireName();
        Gauge.builder("mcp.proxy.sessions.active", active).description("Sessions this replica holds")
                .tag("transport", transport).register(registry);
        Counter created = Counter.builder("mcp.proxy.sessions.opened").description("Sessions created here")
                .tag("transport", transport).register(registry);
        Map<SessionEnd, Counter> ended = new EnumMap<>(SessionEnd.class);
        for (SessionEnd reason : SessionEnd.values()) {
            ended.put(reason, Counter.builder("mcp.proxy.sessions.ended").description("Sessions ended here, by why")
                    .tag("transport", transport).tag("reason", reason.tag()).register(registry));
        }
        return new SessionMeters(created, ended);
    }

    /** The meters of one transport's event streams ({@link SseMetrics#NONE} without a registry). */
    SseMetrics sse(Session.Type type) {
        return registry == null ? SseMetrics.NONE : sse.computeIfAbsent(type,
                t -> new SseMetrics(registry, t.wireName()));
    }

    /** The MCP server processes: starts, exits, restarts, in flight, undeliverable and late messages. */
    void bind(Backends backends) {
        if (registry == null) {
            return;
        }
        BackendStats stats = backends.stats();
        counter("mcp.proxy.backend.starts", "MCP server processes started", stats, BackendStats::starts);
        counter("mcp.proxy.backend.exits", "MCP server processes that exited", stats, BackendStats::exits);
        counter("mcp.proxy.backend.restarts", "Dead MCP server processes started again", stats,
                BackendStats::restarts);
        counter("mcp.proxy.backend.undeliverable", "Server messages no client session could receive", stats,
                BackendStats::undeliverable);
        counter("mcp.proxy.backend.late.responses", "Server responses after their request was answered", stats,
                BackendStats::lateResponses);
        counter("mcp.proxy.backend.unattributable",
                "Server messages refused: which client session they were for was ambiguous", stats,
                BackendStats::unattributable);
        counter("mcp.proxy.backend.timeouts", "Requests answered with a timeout error", stats,
                BackendStats::timeouts);
        Gauge.builder("mcp.proxy.backend.requests.in.flight", backends, Backends::inFlight)
                .description("Client requests waiting for the MCP server").register(registry);
        Gauge.builder("mcp.proxy.backend.running", backends, StdioMetrics::running)
                .description("MCP server processes running").register(registry);
        Gauge.builder("mcp.proxy.backend.since.last.start", stats, BackendStats::secondsSinceLastStart)
                .description("Time since the last MCP server process started").baseUnit("seconds")
                .register(registry);
    }

    private void counter(String name, String description, BackendStats stats, ToDoubleFunction<BackendStats> count) {
        FunctionCounter.builder(name, stats, count).description(description).register(registry);
    }

    private static double running(Backends backends) {
        if (backends.mode() == BackendMode.PER_SESSION) {
            return backends.perSessionCount();
        }
        return backends.shared() != null && backends.shared().isUp() ? 1 : 0;
    }

    /** Created and ended counters of one transport's sessions. */
    static final class SessionMeters {
        static final SessionMeters NONE = new SessionMeters(null, null);

        private final Counter created;
        private final Map<SessionEnd, Counter> ended;

        private SessionMeters(Counter created, Map<SessionEnd, Counter> ended) {
            this.created = created;
            this.ended = ended;
        }

        void created() {
            if (created != null) {
                created.increment();
            }
        }

        void ended(SessionEnd reason) {
            if (ended != null) {
                ended.get(reason).increment();
            }
        }
    }
}
