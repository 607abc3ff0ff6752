package io.mcpproxy.runner;

import io.mcpproxy.core.auth.AuthSettings;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.transparent.TransparentProxy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mcp-proxy transparent}: a session-sticky reverse proxy in front of MCP servers that speak HTTP. */
@Command(name = "transparent", mixinStandardHelpOptions = true, sortOptions = false,
        defaultValueProvider = SettingsDefaults.class,
        description = {"Session-sticky reverse proxy in front of MCP servers that already speak HTTP"
                + " (Streamable HTTP or legacy HTTP+SSE).",
                "Example: mcp-proxy transparent --port 8080 --target http://127.0.0.1:9000/mcp"
                        + " --target http://127.0.0.1:9001/mcp --redis-url redis://127.0.0.1:6379"},
        footer = {"", "SIGTERM or Ctrl-C drains in-flight requests (up to --drain-timeout) and exits 0."})
final class TransparentCommand implements ProxyCommand {

    @Spec
    CommandSpec spec;

    @Option(names = "--target", required = true, paramLabel = "URL",
            description = "Upstream MCP endpoint (repeatable). New sessions go round robin; each session sticks to"
                    + " the upstream that created it.")
    List<URI> targets = new ArrayList<>();

    @Option(names = "--path-prefix", defaultValue = "",
            description = "Serve the upstreams under this prefix (removed before forwarding; legacy SSE endpoint"
                    + " events rewritten to it). Default: none.")
    String pathPrefix;

    @Option(names = "--unknown-session-status", defaultValue = "404", paramLabel = "404|400",
            description = "Answer for requests naming an unknown session, without contacting any upstream"
                    + " (default: ${DEFAULT-VALUE}; spec clients re-initialize on 404).")
    int unknownSessionStatus;

    @Option(names = "--health-check-interval", converter = DurationConverter.class,
            description = "Probe every target this often; one that fails gets no new sessions. Default: off.")
    Duration healthCheckInterval;

    @Option(names = "--forward-any-path",
            description = "Forward requests for any path to the upstreams. Default: only each target's endpoint path"
                    + " (under --path-prefix), the --forward-path paths and a legacy session's message path;"
                    + " others get 404 without reaching an upstream.")
    boolean forwardAnyPath;

    @Option(names = "--forward-path", paramLabel = "PATH",
            description = "Another upstream path to forward (repeatable), e.g."
                    + " /.well-known/oauth-protected-resource. Default: none.")
    List<String> forwardPaths = new ArrayList<>();

    @Mixin
    ListenerOptions listener;

    @Mixin
    SessionOptions sessions;

    @Mixin
    UpstreamPoolOptions upstreamPool;

    @Mixin
    AuthOptions auth;

    @Option(names = "--authorization-passthrough", arity = "1", paramLabel = "true|false",
            description = "Whether the client's Authorization header reaches the upstream. Default: true without"
                    + " --auth (the upstream authenticates), false with it (the proxy checked the token).")
    Boolean authorizationPassthrough;

    @Mixin
    OperationsOptions operations;

    @Override
    public OperationsOptions operations() {
        return operations;
    }

    /** The proxy's builder as the flags describe it, storage aside; a refused value is a usage error. */
    TransparentProxy.Builder builder() {
        return UsageErrors.refusedAsUsage(spec, () -> {
            TransparentProxy.Builder builder = TransparentProxy.builder().targets(targets).pathPrefix(pathPrefix)
                    .unknownSessionStatus(unknownSessionStatus).forwardAnyPath(forwardAnyPath)
                    .forwardPaths(forwardPaths).listener(listener.settings())
                    .sessions(sessions.settings()).upstreamPool(upstreamPool.settings());
            if (healthCheckInterval != null) {
                builder.healthCheckInterval(healthCheckInterval);
            }
            AuthSettings authSettings = auth.settings();
            if (authSettings != null) {
                builder.auth(authSettings);
            }
            if (authorizationPassthrough != null) {
                builder.authorizationPassthrough(authorizationPassthrough);
            }
            if (operations.registry() != null) { // also checks the operations flags
                builder.meterRegistry(operations.registry());
            }
            return builder;
        });
    }

    @Override
    public Built build() {
        TransparentProxy.Builder builder = builder();
        RedisStorage storage = UsageErrors.refusedAsUsage(spec, sessions::openStorage);
        if (storage != null) {
            builder.withSessionStorage(storage);
        }
        TransparentProxy proxy;
        try {
            proxy = UsageErrors.refusedAsUsage(spec, builder::build);
        } catch (RuntimeException refused) {
            ServeCommands.closeQuietly(storage);
            throw refused;
        }
        return new Built.Of(proxy::start, () -> List.of(proxy.uri(pathPrefix.isEmpty() ? "/" : pathPrefix + "/")),
                proxy::health, proxy.listener().server(), () -> {
                    proxy.close();
                    ServeCommands.closeQuietly(storage);
                });
    }
}
