package io.mcpproxy.runner;

import io.mcpproxy.streamable.InputRequestSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags of {@link InputRequestSettings}, for the subcommands that serve Streamable HTTP. */
final class InputRequestOptions {

    @Option(names = "--input-timeout", converter = DurationConverter.class,
            description = "Streamable HTTP, 2026-07-28 clients: how long a call whose server asked the client for"
                    + " input (sampling, elicitation, roots) waits for the client's retry; then the server's"
                    + " requests get an error and the call is cancelled (default: ${DEFAULT-VALUE}).")
    Duration inputTimeout;

    @Option(names = "--max-waiting-calls",
            description = "Streamable HTTP, 2026-07-28 clients: calls waiting for their clients' input at once on"
                    + " this replica; one more gets 503 (default: ${DEFAULT-VALUE}).")
    int maxWaiting;

    InputRequestSettings settings() {
        return InputRequestSettings.DEFAULTS.withInputTimeout(inputTimeout).withMaxWaiting(maxWaiting);
    }
}
