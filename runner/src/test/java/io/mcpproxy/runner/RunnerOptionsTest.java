package io.mcpproxy.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.auth.AuthMode;
import io.mcpproxy.core.auth.AuthSettings;
import io.mcpproxy.stdio.McpProxy;
import io.mcpproxy.stdio.ProxyContext;
import io.mcpproxy.streamable.InputRequestSettings;
import io.mcpproxy.streamable.ResumptionSettings;
import io.mcpproxy.streamable.StreamableHttpTransport;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Runner options reach the proxy they configure: parsed by picocli, applied to a built (never started) proxy. */
class RunnerOptionsTest {

    @Test
    void streamBufferOptionsReachTheProxy() {
        withProxy(context -> {
            assertEquals(5, context.streams().maxQueuedEvents());
            assertEquals(65_536, context.streams().maxQueuedBytes());
        }, "sse", "--stream-buffer-events", "5", "--stream-buffer-bytes", "65536");
    }

    @Test
    void streamBufferDefaultsAreOneThousandEventsAndEightMebibytes() {
        withProxy(context -> {
            assertEquals(1_000, context.streams().maxQueuedEvents());
            assertEquals(8L * 1024 * 1024, context.streams().maxQueuedBytes());
        }, "both");
    }

    @Test
    void inputRequestOptionsReachTheStreamableTransport() {
        ServeCommands.Both command = new ServeCommands.Both();
        withProxy(context -> {
            InputRequestSettings inputs = ((StreamableHttpTransport) command.transports().get(0)).inputRequests();
            assertEquals(Duration.ofSeconds(30), inputs.inputTimeout());
            assertEquals(5, inputs.maxWaiting());
        }, command, "--input-timeout", "30s", "--max-waiting-calls", "5");
        ServeCommands.Both defaults = new ServeCommands.Both();
        withProxy(context -> assertEquals(InputRequestSettings.DEFAULTS,
                ((StreamableHttpTransport) defaults.transports().get(0)).inputRequests()), defaults);
    }

    @Test
    void resumptionOptionsReachTheProxy() {
        withResumption(replay -> {
            assertEquals(Duration.ofSeconds(90), replay.window());
            assertEquals(40, replay.maxEvents());
            assertEquals(10_000, replay.maxBytes());
        }, "--resume-window", "90s", "--replay-buffer-events", "40", "--replay-buffer-bytes", "10000");
        withResumption(replay -> assertEquals(Duration.ZERO, replay.window()), "--resume-window", "0s");
    }

    @Test
    void resumptionDefaultsAreSixtySecondsAnd256EventsAndFourMebibytes() {
        withResumption(replay -> {
            assertEquals(Duration.ofSeconds(60), replay.window());
            assertEquals(256, replay.maxEvents());
            assertEquals(4L * 1024 * 1024, replay.maxBytes());
        });
    }

    @Test
    void theServerMessageLimitIsSixtyFourMebibytesUnlessSetOtherwise() {
        withProxy(context -> assertEquals(64L * 1024 * 1024, context.backends().maxServerMessageSize()), "both");
        withProxy(context -> assertEquals(1_000_000, context.backends().maxServerMessageSize()),
                "streamable", "--max-server-message-size", "1000000");
    }

    @Test
    void theReplayBufferNeverOutgrowsTheStreamBuffer() {
        withResumption(replay -> {
            assertEquals(5, replay.maxEvents());
            assertEquals(65_536, replay.maxBytes());
        }, "--stream-buffer-events", "5", "--stream-buffer-bytes", "65536");
    }

    @Test
    void aNonPositiveStreamBufferIsRefused() {
        ServeCommands.Sse command = new ServeCommands.Sse();
        new CommandLine(command).parseArgs("--stream-buffer-events", "0", "--", "server");
        CommandLine.ParameterException refused = assertThrows(CommandLine.ParameterException.class, command::builder);
        assertEquals("streamBuffer bounds must be positive", refused.getMessage());
    }

    @Test
    void authOptionsReachTheProxy() {
        withProxy(context -> {
            AuthSettings auth = context.authentication().settings();
            assertEquals(AuthMode.OAUTH, auth.mode());
            assertEquals(URI.create("https://auth.example.com"), auth.issuer());
            assertEquals(URI.create("https://mcp.example.com/mcp"), auth.audience());
            assertEquals(Set.of("mcp:tools", "mcp:admin"), auth.requiredScopes());
        }, "both", "--auth", "oauth", "--oauth-issuer", "https://auth.example.com", "--oauth-audience",
                "https://mcp.example.com/mcp", "--oauth-scope", "mcp:tools", "--oauth-scope", "mcp:admin");
        withProxy(context -> assertEquals(AuthMode.NONE, context.authentication().settings().mode()), "sse");
    }

    @Test
    void aNonLoopbackAddressWithoutAuthIsAUsageErrorUntilAuthNoneIsSaid() {
        ServeCommands.Sse command = new ServeCommands.Sse();
        new CommandLine(command).parseArgs("--host", "0.0.0.0", "--port", "0", "--", "server");
        CommandLine.ParameterException refused = assertThrows(CommandLine.ParameterException.class, command::build);
        assertTrue(refused.getMessage().contains("--auth none"), refused.getMessage());

        withProxy(context -> assertEquals(AuthMode.NONE, context.authentication().settings().mode()),
                "sse", "--host", "0.0.0.0", "--auth", "none");
    }

    @Test
    void oauthFlagsWithoutAnAuthModeOrAnUnknownModeAreRefused() {
        ServeCommands.Both command = new ServeCommands.Both();
        new CommandLine(command).parseArgs("--oauth-issuer", "https://auth.example.com", "--", "server");
        assertEquals("--bearer-tokens-file and --oauth-* need --auth bearer or oauth",
                assertThrows(CommandLine.ParameterException.class, command::builder).getMessage());
        ServeCommands.Both unknown = new ServeCommands.Both();
        new CommandLine(unknown).parseArgs("--auth", "basic", "--", "server");
        assertEquals("--auth must be none, bearer or oauth, got basic",
                assertThrows(CommandLine.ParameterException.class, unknown::builder).getMessage());
    }

    /**
     * Parses {@code both options -- server}, builds the proxy it describes and hands over the Streamable HTTP
     * transport's resumption settings as they apply (lowered to the stream buffer).
     */
    private static void withResumption(Consumer<Resumption> check, String... options) {
        ServeCommands.Both command = new ServeCommands.Both();
        withProxy(context -> {
            ResumptionSettings resumption = ((StreamableHttpTransport) command.transports().get(0)).resumption();
            ResumptionSettings.ReplayBounds bounds = resumption.replayBufferFor(context.streams());
            check.accept(new Resumption(resumption.window(), bounds.maxEvents(), bounds.maxBytes()));
        }, command, options);
    }

    private record Resumption(Duration window, int maxEvents, long maxBytes) {
    }

    /** Parses {@code subcommand options -- server}, builds the proxy it describes and hands over its context. */
    private static void withProxy(Consumer<ProxyContext> check, String subcommand, String... options) {
        withProxy(check, "sse".equals(subcommand) ? new ServeCommands.Sse() : new ServeCommands.Both(), options);
    }

    private static void withProxy(Consumer<ProxyContext> check, ServeCommands.Serve command, String... options) {
        String[] args = new String[options.length + 4];
        System.arraycopy(options, 0, args, 0, options.length);
        args[options.length] = "--port";
        args[options.length + 1] = "0";
        args[options.length + 2] = "--";
        args[options.length + 3] = "server";
        new CommandLine(command).parseArgs(args);
        assertNull(command.sessions.openStorage(), "no Redis without --redis-url");
        try (McpProxy proxy = command.builder().build()) {
            check.accept(proxy.context());
        }
    }
}
