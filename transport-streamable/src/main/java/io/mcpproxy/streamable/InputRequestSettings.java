package io.mcpproxy.streamable;

import io.mcpproxy.core.Settings;
import java.time.Duration;

/**
 * Multi round-trip requests of 2026-07-28 clients bridged to a legacy stdio server: a server request
 * ({@code sampling/createMessage}, {@code elicitation/create}, {@code roots/list}) during a modern
 * {@code tools/call}, {@code prompts/get} or {@code resources/read} becomes an input request of an
 * {@code InputRequiredResult}, and the call waits at the server for the client's retry. Each option's default, unit
 * and valid range are declared here once.
 *
 * @param inputTimeout how long a call waits for its client's retry; then its server requests are answered with an
 *                     error and the call is cancelled at the server (the request timeout, counted from the first
 *                     round, also applies). At least 1 s. Default 5 min
 * @param maxWaiting   how many calls may wait for their clients at once on this replica; one more is answered
 *                     with 503 and cancelled at the server. At least 1. Default 1000
 */
public record InputRequestSettings(Duration inputTimeout, int maxWaiting) {

    /** Every option at its default. */
    public static final InputRequestSettings DEFAULTS = new InputRequestSettings(Duration.ofMinutes(5), 1000);

    public InputRequestSettings {
        Settings.requireAtLeast(inputTimeout, Duration.ofSeconds(1), "inputTimeout");
        Settings.requireAtLeast(maxWaiting, 1, "maxWaitingCalls");
    }

    public InputRequestSettings withInputTimeout(Duration timeout) {
        return new InputRequestSettings(timeout, maxWaiting);
    }

    public InputRequestSettings withMaxWaiting(int max) {
        return new InputRequestSettings(inputTimeout, max);
    }
}
