package io.mcpproxy.runner;

import io.mcpproxy.stdio.McpProxy;
import io.mcpproxy.stdio.Transport;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.sse.SseTransport;
import io.mcpproxy.streamable.StreamableHttpTransport;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The subcommands that serve an MCP server over HTTP: {@code streamable}, {@code sse} and {@code both}. */
final class ServeCommands {

    private ServeCommands() {
    }

    /** Starts the proxy, prints the URL(s) it serves, and waits for SIGTERM. */
    abstract static class Serve implements Callable<Integer> {
        @Mixin
        ProxyOptions options;

        abstract List<Transport> transports();

        abstract List<String> paths();

        @Override
        public Integer call() throws Exception {
            McpProxy.Builder builder = McpProxy.builder();
            transports().forEach(builder::transport);
            RedisStorage storage = options.applyTo(builder);
            McpProxy proxy = builder.build();
            return GracefulShutdown.serve(new GracefulShutdown.Service() {
                @Override
                public void start() throws Exception {
                    proxy.start();
                }

                @Override
                public void stop() {
                    proxy.close();
                    if (storage != null) {
                        storage.close();
                    }
                }
            }, () -> paths().stream().map(proxy::uri).toList());
        }
    }

    @Command(name = "streamable", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"MCP Streamable HTTP (POST/GET/DELETE on one path) in front of a stdio MCP server.",
                    "Example: mcp-proxy streamable --port 8080 -- npx -y @modelcontextprotocol/server-everything"},
            footer = {"", "SIGTERM or Ctrl-C drains in-flight requests (up to --drain-timeout), ends the streams,"
                    + " stops the MCP server and exits 0."})
    static final class Streamable extends Serve {
        @Option(names = "--path", defaultValue = StreamableHttpTransport.DEFAULT_PATH,
                description = "Endpoint path (default: ${DEFAULT-VALUE}).")
        String path;

        @Override
        List<Transport> transports() {
            return List.of(new StreamableHttpTransport(path, options.resumption()));
        }

        @Override
        List<String> paths() {
            return List.of(path);
        }
    }

    @Command(name = "sse", mixinStandardHelpOptions = true, sortOptions = false,
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
            description = {"Streamable HTTP and legacy HTTP+SSE on one port in front of one MCP server (the spec's"
                    + " backwards-compatibility path).", "Example: mcp-proxy both --port 8080 -- python server.py"},
            footer = {"", "SIGTERM or Ctrl-C drains in-flight requests, ends the streams, stops the MCP server and"
                    + " exits 0."})
    static final class Both extends Serve {
        @Option(names = "--path", defaultValue = StreamableHttpTransport.DEFAULT_PATH,
                description = "Streamable HTTP endpoint path (default: ${DEFAULT-VALUE}).")
        String path;

        @Mixin
        SseOptions sse;

        @Override
        List<Transport> transports() {
            SseTransport legacy = sse.transport();
            return List.of(new StreamableHttpTransport(path, options.resumption()), legacy);
        }

        @Override
        List<String> paths() {
            return List.of(path, sse.ssePath);
        }
    }
}
