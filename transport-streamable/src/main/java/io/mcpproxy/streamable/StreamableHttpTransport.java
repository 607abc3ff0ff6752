package io.mcpproxy.streamable;

import io.mcpproxy.stdio.ProxyContext;
import io.mcpproxy.stdio.Transport;
import java.util.Objects;
import org.eclipse.jetty.server.Handler;

/** The MCP Streamable HTTP transport on one path (default {@code /mcp}), for {@link io.mcpproxy.stdio.McpProxy}. */
public final class StreamableHttpTransport implements Transport {

    /** Default endpoint path. */
    public static final String DEFAULT_PATH = "/mcp";

    private final String path;
    private final ResumptionSettings resumption;
    private final InputRequestSettings inputRequests;
    private volatile StreamableHttpHandler handler;

    /** The transport on {@code path} with resumption at its defaults. */
    public StreamableHttpTransport(String path) {
        this(path, ResumptionSettings.DEFAULTS);
    }

    /** The transport on {@code path}, events replayable as {@code resumption} says. */
    public StreamableHttpTransport(String path, ResumptionSettings resumption) {
        this(path, resumption, InputRequestSettings.DEFAULTS);
    }

    /**
     * The transport on {@code path}, events replayable as {@code resumption} says, modern calls waiting for their
     * clients' input as {@code inputRequests} says.
     */
    public StreamableHttpTransport(String path, ResumptionSettings resumption, InputRequestSettings inputRequests) {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/', got '" + path + "'");
        }
        this.path = path;
        this.resumption = Objects.requireNonNull(resumption, "resumption");
        this.inputRequests = Objects.requireNonNull(inputRequests, "inputRequests");
    }

    public String path() {
        return path;
    }

    public ResumptionSettings resumption() {
        return resumption;
    }

    public InputRequestSettings inputRequests() {
        return inputRequests;
    }

    /** The handler of the last {@link #open}, for tests and diagnostics. */
    StreamableHttpHandler handler() {
        return handler;
    }

    @Override
    public Endpoint open(ProxyContext context) {
        StreamableHttpHandler handler = new StreamableHttpHandler(path, resumption, inputRequests, context);
        this.handler = handler;
        return new Endpoint() {
            @Override
            public Handler handler() {
                return handler;
            }

            @Override
            public String name() {
                return "streamable";
            }

            @Override
            public String describe() {
                return "Streamable HTTP at " + path;
            }

            @Override
            public java.util.List<String> paths() {
                return java.util.List.of(path);
            }

            @Override
            public void closeSessions() {
                handler.closeAll();
            }

            @Override
            public void draining() {
                handler.draining();
            }
        };
    }
}
