package io.mcpproxy.stdio.backend;

import java.util.Locale;

/**
 * Which revision family the stdio server speaks, or how the proxy finds out. Legacy servers (up to 2025-11-25) are
 * initialized once per process; modern ones (2026-07-28) take every request with its own {@code _meta} and no
 * handshake.
 */
public enum ServerEra {
    /**
     * Probe every new process with {@code server/discover} (the default), as the stdio binding's backward
     * compatibility section describes: a {@code DiscoverResult} or an {@code UnsupportedProtocolVersionError} with
     * its {@code supported} list means modern; any other answer, or none within {@link EraProbe#TIMEOUT}, legacy.
     */
    AUTO,
    /** The server is legacy: no probe, today's single {@code initialize} per process. */
    LEGACY,
    /** The server is modern: no probe; requests go to it with their {@code _meta}, never an {@code initialize}. */
    MODERN;

    /**
     * The era named {@code auto}, {@code legacy} or {@code modern} (any case).
     *
     * @throws IllegalArgumentException for any other name
     */
    public static ServerEra parse(String name) {
        String lower = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (lower) {
            case "auto" -> AUTO;
            case "legacy" -> LEGACY;
            case "modern" -> MODERN;
            default -> throw new IllegalArgumentException("serverEra must be auto, legacy or modern, got " + name);
        };
    }
}
