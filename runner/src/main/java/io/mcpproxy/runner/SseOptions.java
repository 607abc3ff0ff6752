package io.mcpproxy.runner;

import io.mcpproxy.sse.SseTransport;
import picocli.CommandLine.Option;

/** Options of the legacy HTTP+SSE endpoint. */
final class SseOptions {

    @Option(names = "--sse-path", defaultValue = SseTransport.DEFAULT_SSE_PATH,
            description = "Path of the SSE stream (default: ${DEFAULT-VALUE}).")
    String ssePath;

    @Option(names = "--messages-path", defaultValue = SseTransport.DEFAULT_MESSAGES_PATH,
            description = "Path clients POST to (default: ${DEFAULT-VALUE}).")
    String messagesPath;

    @Option(names = "--public-base-url", paramLabel = "URL",
            description = "Announce absolute POST URIs under this base (e.g. https://gateway/tools). Default: relative.")
    String publicBaseUrl;

    @Option(names = "--trust-proxy-headers",
            description = "Build the POST URI from X-Forwarded-Proto (http or https), -Host and -Prefix when all"
                    + " three are present, each up to its first comma (only behind a proxy that sets them)."
                    + " Default: off.")
    boolean trustProxyHeaders;

    SseTransport transport() {
        SseTransport transport = new SseTransport(ssePath, messagesPath).trustProxyHeaders(trustProxyHeaders);
        if (publicBaseUrl != null) {
            transport.publicBaseUrl(publicBaseUrl);
        }
        return transport;
    }
}
