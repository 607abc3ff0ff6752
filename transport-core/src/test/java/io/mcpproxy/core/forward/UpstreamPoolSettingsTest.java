package io.mcpproxy.core.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class UpstreamPoolSettingsTest {

    private static final UpstreamPoolSettings DEFAULTS = UpstreamPoolSettings.DEFAULTS;

    private static void refused(String message, Executable change) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, change).getMessage());
    }

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        assertEquals(64, DEFAULTS.maxConnectionsPerUpstream());
        assertEquals(Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors() / 2)),
                DEFAULTS.upstreamIoThreads());
        assertEquals(1024, DEFAULTS.maxQueuedRequests());
        assertEquals(Duration.ofSeconds(4), DEFAULTS.poolIdleTimeout());
        assertEquals(Duration.ofSeconds(5), DEFAULTS.connectTimeout());
        assertEquals(Duration.ofMinutes(5), DEFAULTS.responseIdleTimeout());
        assertFalse(DEFAULTS.http2());
        assertTrue(DEFAULTS.idlePooling());
        assertEquals(1.0, DEFAULTS.poolingRate());
    }

    @Test
    void eachWitherChangesItsOptionOnly() {
        assertEquals(new UpstreamPoolSettings(8, 3, 16, Duration.ofSeconds(1), Duration.ofSeconds(2),
                        Duration.ofSeconds(3), true, false, 0.5),
                DEFAULTS.withMaxConnectionsPerUpstream(8).withUpstreamIoThreads(3).withMaxQueuedRequests(16)
                        .withPoolIdleTimeout(Duration.ofSeconds(1)).withConnectTimeout(Duration.ofSeconds(2))
                        .withResponseIdleTimeout(Duration.ofSeconds(3)).withHttp2(true).withIdlePooling(false)
                        .withPoolingRate(0.5));
        assertEquals(DEFAULTS, DEFAULTS.withPoolingRate(0.5).withPoolingRate(1.0));
    }

    @Test
    void anOptionOutOfRangeIsRefusedNamingTheBuilderSetter() {
        refused("maxConnectionsPerUpstream must be at least 1, got 0", () -> DEFAULTS.withMaxConnectionsPerUpstream(0));
        refused("upstreamIoThreads must be at least 1, got 0", () -> DEFAULTS.withUpstreamIoThreads(0));
        refused("maxQueuedRequests must be at least 1, got -1", () -> DEFAULTS.withMaxQueuedRequests(-1));
        refused("poolIdleTimeout must be at least 1 ms, got PT0S", () -> DEFAULTS.withPoolIdleTimeout(Duration.ZERO));
        refused("connectTimeout must be at least 1 ms, got PT-1S",
                () -> DEFAULTS.withConnectTimeout(Duration.ofSeconds(-1)));
        refused("responseIdleTimeout must be at least 1 ms, got PT0S",
                () -> DEFAULTS.withResponseIdleTimeout(Duration.ZERO));
        refused("poolingRate must be between 0.0 and 1.0, got 1.5", () -> DEFAULTS.withPoolingRate(1.5));
        refused("poolingRate must be between 0.0 and 1.0, got NaN", () -> DEFAULTS.withPoolingRate(Double.NaN));
        assertThrows(NullPointerException.class, () -> DEFAULTS.withConnectTimeout(null));
    }
}
