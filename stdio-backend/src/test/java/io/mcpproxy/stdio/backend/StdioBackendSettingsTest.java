package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mcpproxy.stdio.McpProxy;
import io.mcpproxy.stdio.process.StdioServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class StdioBackendSettingsTest {

    private static final StdioServer COMMAND = StdioServer.command(List.of("cat"));

    private static StdioServer streams() {
        return StdioServer.streams("streams", new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream());
    }

    @Test
    void everyOptionHasItsDefaultAndTheServerHasNone() {
        StdioBackendSettings defaults = StdioBackendSettings.DEFAULTS;
        assertNull(defaults.server());
        assertEquals(BackendMode.SHARED, defaults.mode());
        assertEquals(64, defaults.maxBackends());
        assertEquals(Duration.ofMinutes(5), defaults.requestTimeout());
        assertEquals(64L * 1024 * 1024, defaults.maxServerMessageBytes());
        assertEquals(Duration.ofMillis(250), defaults.restartInitialDelay());
        assertEquals(Duration.ofSeconds(30), defaults.restartMaxDelay());
        assertEquals(true, defaults.restart());
        assertEquals(Duration.ofSeconds(2), defaults.cancelGrace());
        assertEquals(defaults.withServer(COMMAND), StdioBackendSettings.of(COMMAND));
    }

    @Test
    void backendsNeedAServer() {
        assertThrows(NullPointerException.class, () -> new Backends(StdioBackendSettings.DEFAULTS));
    }

    @Test
    void invalidValuesAreRefusedNamingTheOptionAndTheValue() {
        assertRefused("maxBackends must be at least 1, got 0", settings -> settings.withMaxBackends(0));
        assertRefused("requestTimeout must not be negative, got PT-1S",
                settings -> settings.withRequestTimeout(Duration.ofSeconds(-1)));
        assertRefused("cancelGrace must not be negative, got PT-0.001S",
                settings -> settings.withCancelGrace(Duration.ofMillis(-1)));
        assertRefused("maxServerMessageSize must be 1 byte to 2 GiB, got 0",
                settings -> settings.withMaxServerMessageBytes(0));
        assertRefused("maxServerMessageSize must be 1 byte to 2 GiB, got 2147483640",
                settings -> settings.withMaxServerMessageBytes(Integer.MAX_VALUE - 7));
        assertRefused("restartBackoff must be 1 ms <= initialDelay <= maxDelay, got PT0S and PT1S",
                settings -> settings.withRestartBackoff(Duration.ZERO, Duration.ofSeconds(1)));
        assertRefused("restartBackoff must be 1 ms <= initialDelay <= maxDelay, got PT2S and PT1S",
                settings -> settings.withRestartBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        String perSessionStreams = "backendMode must be SHARED for handed-in streams (per-session mode needs a"
                + " command to spawn), got PER_SESSION";
        assertRefused(perSessionStreams, settings -> settings.withServer(streams()).withMode(BackendMode.PER_SESSION));
        assertRefused(perSessionStreams, settings -> settings.withMode(BackendMode.PER_SESSION).withServer(streams()));
    }

    @Test
    void theLimitsThemselvesAreAccepted() {
        StdioBackendSettings edges = StdioBackendSettings.of(COMMAND).withMaxBackends(1)
                .withRequestTimeout(Duration.ZERO).withMaxServerMessageBytes(Integer.MAX_VALUE - 8)
                .withCancelGrace(Duration.ZERO)
                .withRestartBackoff(Duration.ofMillis(1), Duration.ofMillis(1)).withMode(BackendMode.PER_SESSION);
        assertEquals(Integer.MAX_VALUE - 8, edges.maxServerMessageBytes());
        assertEquals(1, edges.maxBackends());
    }

    @Test
    void theProxyBuilderAndTheBackendsBuilderRefuseTheSameValuesWithTheSameWords() {
        assertBothRefuse(proxy -> proxy.maxBackends(0), backends -> backends.maxBackends(0));
        assertBothRefuse(proxy -> proxy.requestTimeout(Duration.ofMillis(-1)),
                backends -> backends.requestTimeout(Duration.ofMillis(-1)));
        assertBothRefuse(proxy -> proxy.cancelGrace(Duration.ofMillis(-1)),
                backends -> backends.cancelGrace(Duration.ofMillis(-1)));
        assertBothRefuse(proxy -> proxy.maxServerMessageSize(0), backends -> backends.maxServerMessageSize(0));
        assertBothRefuse(proxy -> proxy.restartBackoff(Duration.ofSeconds(5), Duration.ofSeconds(1)),
                backends -> backends.restartBackoff(Duration.ofSeconds(5), Duration.ofSeconds(1)));
        assertBothRefuse(proxy -> proxy.stdioServer(streams()).backendMode(BackendMode.PER_SESSION),
                backends -> backends.mode(BackendMode.PER_SESSION));
    }

    private static void assertRefused(String message, Consumer<StdioBackendSettings> change) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> change.accept(StdioBackendSettings.of(COMMAND)));
        assertEquals(message, refused.getMessage());
    }

    private static void assertBothRefuse(Consumer<McpProxy.Builder> proxySetter,
                                         Consumer<Backends.Builder> backendsSetter) {
        IllegalArgumentException byProxy = assertThrows(IllegalArgumentException.class,
                () -> proxySetter.accept(McpProxy.builder()));
        IllegalArgumentException byBackends = assertThrows(IllegalArgumentException.class,
                () -> backendsSetter.accept(Backends.builder(streams())));
        assertEquals(byProxy.getMessage(), byBackends.getMessage());
    }
}
