package io.mcpproxy.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.TlsSettings;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.sse.SseProxy;
import io.mcpproxy.sse.SseTransport;
import io.mcpproxy.stdio.McpProxy;
import io.mcpproxy.stdio.StdioProxyBuilder;
import io.mcpproxy.stdio.backend.ServerEra;
import io.mcpproxy.streamable.StreamableHttpProxy;
import io.mcpproxy.transparent.TransparentProxy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Every invalid value, given to every builder that takes the option and to every subcommand that has the flag, is
 * refused with the same words: a builder throws them, the runner prints them as a usage error (exit code 2) before
 * anything starts.
 */
class RefusalsTest {

    private static final List<String> STDIO = List.of("streamable", "sse", "both");
    private static final List<String> STREAMABLE = List.of("streamable", "both");
    private static final List<String> EVERY = List.of("streamable", "sse", "both", "transparent");
    private static final List<String> TRANSPARENT = List.of("transparent");

    /**
     * One invalid value of one option.
     *
     * @param stdio       applies the value to a stdio proxy builder (McpProxy, StreamableHttpProxy, SseProxy), or null
     * @param streamable  applies it to a StreamableHttpProxy builder only (its own options), or null
     * @param transparent applies it to a TransparentProxy builder, or null
     * @param other       applies it to another builder that takes it (RedisStorage), or null
     */
    record Refusal(String flag, String value, List<String> subcommands, String message,
                   Consumer<StdioProxyBuilder<?>> stdio, Consumer<StreamableHttpProxy.Builder> streamable,
                   Consumer<TransparentProxy.Builder> transparent, Runnable other) {
        @Override
        public String toString() {
            return flag + " " + value;
        }
    }

    static Stream<Refusal> refusals() {
        String stream = "streamBuffer bounds must be positive";
        String replay = "replayBuffer bounds must be positive";
        return Stream.of(
                shared("--port", "70000", "port must be 0-65535, got 70000", b -> b.port(70000), b -> b.port(70000)),
                shared("--port", "-1", "port must be 0-65535, got -1", b -> b.port(-1), b -> b.port(-1)),
                shared("--host", " ", "host must not be empty", b -> b.host(" "), b -> b.host(" ")),
                shared("--max-body-size", "0", "maxBodySize must be 1 byte to 2 GiB, got 0",
                        b -> b.maxBodySize(0), b -> b.maxBodySize(0)),
                shared("--drain-timeout", "-1s", "drainTimeout must not be negative, got PT-1S",
                        b -> b.drainTimeout(Duration.ofSeconds(-1)), b -> b.drainTimeout(Duration.ofSeconds(-1))),
                shared("--header-timeout", "0s", "headerTimeout must be at least 1 ms, got PT0S",
                        b -> b.headerTimeout(Duration.ZERO), b -> b.headerTimeout(Duration.ZERO)),
                shared("--body-timeout", "0s", "bodyTimeout must be at least 1 ms, got PT0S",
                        b -> b.bodyTimeout(Duration.ZERO), b -> b.bodyTimeout(Duration.ZERO)),
                shared("--max-client-connections", "0", "maxClientConnections must be at least 1, got 0",
                        b -> b.maxClientConnections(0), b -> b.maxClientConnections(0)),
                shared("--tls-cert", "server.crt", "tls needs both a certificate chain and a private key, got only"
                        + " a certificate chain", b -> b.tls(new TlsSettings(Path.of("server.crt"), null, null, null,
                        TlsSettings.DEFAULT_RELOAD_INTERVAL)), b -> b.tls(new TlsSettings(Path.of("server.crt"), null,
                        null, null, TlsSettings.DEFAULT_RELOAD_INTERVAL))),
                shared("--session-ttl", "500ms", "sessionTtl must be at least 1 s, got PT0.5S",
                        b -> b.sessionTtl(Duration.ofMillis(500)), b -> b.sessionTtl(Duration.ofMillis(500))),
                new Refusal("--redis-key-prefix", "sessions", EVERY, "keyPrefix must end with ':', got 'sessions'",
                        null, null, null, () -> RedisStorage.builder().keyPrefix("sessions")),
                stdio("--max-backends", "0", "maxBackends must be at least 1, got 0", b -> b.maxBackends(0)),
                stdio("--max-sessions", "0", "maxSessions must be at least 1, got 0", b -> b.maxSessions(0)),
                stdio("--backend-idle-timeout", "0s", "backendIdleTimeout must be at least 1 ms, got PT0S",
                        b -> b.backendIdleTimeout(Duration.ZERO)),
                stdio("--request-timeout", "-1s", "requestTimeout must not be negative, got PT-1S",
                        b -> b.requestTimeout(Duration.ofSeconds(-1))),
                new Refusal("--server-era", "sometimes", STDIO, "serverEra must be auto, legacy or modern, got"
                        + " sometimes", null, null, null, () -> ServerEra.parse("sometimes")),
                stdio("--cancel-grace", "-1s", "cancelGrace must not be negative, got PT-1S",
                        b -> b.cancelGrace(Duration.ofSeconds(-1))),
                stdio("--max-server-message-size", "0", "maxServerMessageSize must be 1 byte to 2 GiB, got 0",
                        b -> b.maxServerMessageSize(0)),
                stdio("--keep-alive", "5ms", "keepAliveInterval must be at least 10 ms, got PT0.005S",
                        b -> b.keepAliveInterval(Duration.ofMillis(5))),
                stdio("--heartbeat-interval", "50ms", "heartbeatInterval must be at least 100 ms, got PT0.05S",
                        b -> b.heartbeatInterval(Duration.ofMillis(50))),
                stdio("--advertise-url", "ftp://10.0.0.7/", "advertiseUrl must be an absolute http(s) URL, got"
                        + " ftp://10.0.0.7/", b -> b.advertiseUrl(URI.create("ftp://10.0.0.7/"))),
                new Refusal("--advertise-url", "http://10.0.0.7:8080", STDIO, "advertiseUrl needs a clusterSecret:"
                        + " replicas forward to each other only what carries it", null,
                        b -> b.advertiseUrl(URI.create("http://10.0.0.7:8080")).command(List.of("server")).build(),
                        null, () -> SseProxy.builder().advertiseUrl(URI.create("http://10.0.0.7:8080"))
                                .command(List.of("server")).build()),
                stdio("--stream-buffer-events", "0", stream, b -> b.streamBuffer(0, 1024)),
                stdio("--stream-buffer-bytes", "0", stream, b -> b.streamBuffer(10, 0)),
                streamable("--resume-window", "-1s", "resumeWindow must not be negative, got PT-1S",
                        b -> b.resumeWindow(Duration.ofSeconds(-1))),
                streamable("--input-timeout", "500ms", "inputTimeout must be at least 1 s, got PT0.5S",
                        b -> b.inputTimeout(Duration.ofMillis(500))),
                streamable("--max-waiting-calls", "0", "maxWaitingCalls must be at least 1, got 0",
                        b -> b.maxWaitingCalls(0)),
                streamable("--replay-buffer-events", "0", replay, b -> b.replayBuffer(0, 1024)),
                streamable("--replay-buffer-bytes", "0", replay, b -> b.replayBuffer(10, 0)),
                streamable("--replay-buffer-events", "2000", "replayBuffer (2000 events, 4194304 bytes) must not"
                        + " exceed streamBuffer (1000 events, 8388608 bytes): a replay has to fit the stream it goes"
                        + " out on", b -> b.replayBuffer(2000, 4L * 1024 * 1024).command(List.of("server")).build()),
                transparent("--max-connections", "0", "maxConnectionsPerUpstream must be at least 1, got 0",
                        b -> b.maxConnectionsPerUpstream(0)),
                transparent("--upstream-io-threads", "0", "upstreamIoThreads must be at least 1, got 0",
                        b -> b.upstreamIoThreads(0)),
                transparent("--max-queued", "0", "maxQueuedRequests must be at least 1, got 0",
                        b -> b.maxQueuedRequests(0)),
                transparent("--pool-idle-timeout", "0s", "poolIdleTimeout must be at least 1 ms, got PT0S",
                        b -> b.poolIdleTimeout(Duration.ZERO)),
                transparent("--connect-timeout", "0s", "connectTimeout must be at least 1 ms, got PT0S",
                        b -> b.connectTimeout(Duration.ZERO)),
                transparent("--response-idle-timeout", "0s", "responseIdleTimeout must be at least 1 ms, got PT0S",
                        b -> b.responseIdleTimeout(Duration.ZERO)),
                transparent("--pooling-rate", "1.5", "poolingRate must be between 0.0 and 1.0, got 1.5",
                        b -> b.poolingRate(1.5)),
                transparent("--unknown-session-status", "500", "unknownSessionStatus must be 404 or 400, got 500",
                        b -> b.unknownSessionStatus(500)),
                transparent("--path-prefix", "/mcp/", "pathPrefix must start and not end with '/', got /mcp/",
                        b -> b.pathPrefix("/mcp/")),
                transparent("--forward-path", "/a/../b", "forwardPath must be an absolute path without query or"
                        + " dot segments, got /a/../b", b -> b.forwardPaths(List.of("/a/../b"))),
                transparent("--target", "ftp://example.com/mcp", "target must be an absolute http(s) URL, got"
                        + " ftp://example.com/mcp", b -> b.target(URI.create("ftp://example.com/mcp"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void everyBuilderRefusesTheValueWithTheSameWords(Refusal refusal) {
        List<Runnable> builders = new ArrayList<>();
        if (refusal.stdio() != null) {
            builders.add(() -> refusal.stdio().accept(McpProxy.builder().transport(new SseTransport())));
            builders.add(() -> refusal.stdio().accept(StreamableHttpProxy.builder()));
            builders.add(() -> refusal.stdio().accept(SseProxy.builder()));
        }
        if (refusal.streamable() != null) {
            builders.add(() -> refusal.streamable().accept(StreamableHttpProxy.builder()));
        }
        if (refusal.transparent() != null) {
            builders.add(() -> refusal.transparent().accept(TransparentProxy.builder()));
        }
        if (refusal.other() != null) {
            builders.add(refusal.other());
        }
        for (Runnable builder : builders) {
            RuntimeException refused = assertThrows(RuntimeException.class, builder::run);
            assertTrue(refused instanceof IllegalArgumentException || refused instanceof IllegalStateException,
                    refused.toString());
            assertEquals(refusal.message(), refused.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void everySubcommandRefusesTheFlagWithTheSameWordsAsAUsageError(Refusal refusal) {
        for (String subcommand : refusal.subcommands()) {
            List<String> args = new ArrayList<>(List.of(subcommand, refusal.flag(), refusal.value()));
            if (!refusal.flag().equals("--port")) {
                args.addAll(List.of("--port", "0"));
            }
            if (subcommand.equals("transparent")) {
                if (!refusal.flag().equals("--target")) {
                    args.addAll(List.of("--target", "http://127.0.0.1:9/mcp"));
                }
            } else {
                args.addAll(List.of("--", "server-that-never-runs"));
            }
            StringWriter err = new StringWriter();
            // The runner's parsing and refusals, but a proxy that gets built is closed, never served
            int exit = Main.commandLine().setErr(new PrintWriter(err, true)).setExecutionStrategy(parsed -> {
                try (ProxyCommand.Built built = ((ProxyCommand) parsed.subcommand().commandSpec().userObject()).build()) {
                    return 0;
                }
            }).execute(args.toArray(String[]::new));
            assertEquals(CommandLine.ExitCode.USAGE, exit, subcommand + ": " + err);
            assertTrue(err.toString().contains(refusal.message()), subcommand + ": " + err);
        }
    }

    private static Refusal shared(String flag, String value, String message,
                                  Consumer<StdioProxyBuilder<?>> stdio,
                                  Consumer<TransparentProxy.Builder> transparent) {
        return new Refusal(flag, value, EVERY, message, stdio, null, transparent, null);
    }

    private static Refusal stdio(String flag, String value, String message,
                                 Consumer<StdioProxyBuilder<?>> stdio) {
        return new Refusal(flag, value, STDIO, message, stdio, null, null, null);
    }

    private static Refusal streamable(String flag, String value, String message,
                                      Consumer<StreamableHttpProxy.Builder> streamable) {
        return new Refusal(flag, value, STREAMABLE, message, null, streamable, null, null);
    }

    private static Refusal transparent(String flag, String value, String message,
                                       Consumer<TransparentProxy.Builder> transparent) {
        return new Refusal(flag, value, TRANSPARENT, message, null, null, transparent, null);
    }
}
