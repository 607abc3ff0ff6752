package io.mcpproxy.runner;

import io.mcpproxy.core.auth.AuthSettings;
import io.mcpproxy.stdio.McpProxy;
import io.mcpproxy.stdio.Transport;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.streamable.StreamableHttpTransport;
import java.net.URI;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The subcommands that serve an MCP server over HTTP: {@code streamable}, {@code sse} and {@code both}. */
final class ServeCommands {

    private ServeCommands() {
    }

    /** Starts the proxy, prints the URL(s) it serves, and waits for SIGTERM. */
    abstract static class Serve implements ProxyCommand {
        @Spec
        CommandSpec spec;

        @Mixin
        ListenerOptions listener;

        @Mixin
        SessionOptions sessions;

        @Mixin
        StdioBackendOptions backend;

        @Mixin
        StreamOptions streams;

        @Mixin
        ClusterOptions cluster;

        @Mixin
        AuthOptions auth;

        @Mixin
        OperationsOptions operations;

        @Override
        public OperationsOptions operations() {
            return operations;
        }

        abstract List<Transport> transports();

        abstract List<String> paths();

        /** The proxy's builder as the flags describe it, storage aside; a refused value is a usage error. */
        McpProxy.Builder builder() {
            return UsageErrors.refusedAsUsage(spec, () -> {
                McpProxy.Builder builder = McpProxy.builder().listener(listener.settings())
                        .sessions(sessions.settings()).backend(backend.settings()).streams(streams.settings())
                        .cluster(cluster.settings());
                AuthSettings authSettings = auth.settings();
                if (authSettings != null) {
                    builder.auth(authSettings);
                }
                if (operations.registry() != null) { // also checks the operations flags
                    builder.meterRegistry(operations.registry());
                }
                transports().forEach(builder::transport);
                return builder;
            });
        }

        @Override
        public Built build() {
            McpProxy.Builder builder = builder();
            RedisStorage storage = UsageErrors.refusedAsUsage(spec, sessions::openStorage);
            if (storage != null) {
                builder.withSessionStorage(storage);
            }
            McpProxy proxy;
            try {
                proxy = UsageErrors.refusedAsUsage(spec, builder::build);
            } catch (RuntimeException refused) {
                closeQuietly(storage);
                throw refused;
            }
            return new Built.Of(proxy::start, () -> paths().stream().map(proxy::uri).toList(), proxy::health,
                    proxy.listener().server(), () -> {
                        proxy.close();
                        closeQuietly(storage);
                    });
        }
    }

    static void closeQuietly(RedisStorage storage) {
        if (storage != null) {
            storage.close();
        }
    }

    @Command(name = "streamable", mixinStandardHelpOptions = true, sortOptions = false,
            defaultValueProvider = SettingsDefaults.class,
            description = {"MCP Streamable HTTP (POST/GET/DELETE on one path) in front of a stdio MCP server.",
                    "Example: mcp-proxy streamable --port 8080 -- npx -y @modelcontextprotocol/server-everything"},
            footer = {"", "SIGTERM or Ctrl-C drains in-flight requests (up to --drain-timeout), ends the streams,"
                    + " stops the MCP server and exits 0."})
    static final class Streamable extends Serve {
        @Option(names = "--path", defaultValue = StreamableHttpTransport.DEFAULT_PATH,
                description = "Endpoint path (default: ${DEFAULT-VALUE}).")
        String path;

        @Mixin
        ResumptionOptions resumption;

        @Mixin
        InputRequestOptions inputRequests;

        @Override
        List<Transport> transports() {
            return List.of(new StreamableHttpTransport(path, resumption.settings(), inputRequests.settings()));
        }

        @Override
        List<String> paths() {
            return List.of(path);
        }
    }

    @Command(name = "sse", mixinStandardHelpOptions = true, sortOptions = false,
            defaultValueProvider = SettingsDefaults.class,
            description = {"Legacy MCP HTTP+SSE (GET /sse + POST /messages, protocol 2024-11-05) in front of a stdio"
                    + " MCP server.", "Example: mcp-proxy sse --port 8080 -- python server.py"},
            footer = {"", "SIGTERM or Ctrl-C drains in-flight requests, ends the streams, stops the MCP server and"
                    + " exits 0."})
    static final class Sse extends Serve {
        @Mixin
        SseOptions sse;

        @Override
        List<Transport> transports() {
            return List.of(sse.transport());
        }

        @Override
        List<String> paths() {
            return List.of(sse.ssePath);
        }
    }

    @Command(name = "both", mixinStandardHelpOptions = true, sortOptions = false,
            defaultValueProvider = SettingsDefaults.class,
            description = {"Streamable HTTP and legacy HTTP+SSE on one port in front of one MCP server (the spec's"
                    + " backwards-compatibility path).", "Example: mcp-proxy both --port 8080 -- python server.py"},
            footer = {"", "SIGTERM or Ctrl-C drains in-flight requests, ends the streams, stops the MCP server and"
                    + " exits 0."})
    static final class Both extends Serve {
        @Option(names = "--path", defaultValue = StreamableHttpTransport.DEFAULT_PATH,
                description = "Streamable HTTP endpoint path (default: ${DEFAULT-VALUE}).")
        String path;

        @Mixin
        ResumptionOptions resumption;

        @Mixin
        InputRequestOptions inputRequests;

        @Mixin
        SseOptions sse;

        @Override
        List<Transport> transports() {
            return List.of(new StreamableHttpTransport(path, resumption.settings(), inputRequests.settings()),
                    sse.transport());
        }

        @Override
        List<String> paths() {
            return List.of(path, sse.ssePath);
        }
    }
}
