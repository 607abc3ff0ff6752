package io.mcpproxy.runner;

import io.mcpproxy.streamable.ResumptionSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags of {@link ResumptionSettings}, for the subcommands that serve Streamable HTTP. */
final class ResumptionOptions {

    @Option(names = "--resume-window", converter = DurationConverter.class,
            description = "Streamable HTTP: how long sent events stay replayable for a client that reconnects with"
                    + " Last-Event-ID, and a response whose connection dropped is kept; 0s turns replay off"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration window;

    @Option(names = "--replay-buffer-events",
            description = "Streamable HTTP: bound of each session's replay buffer in events, at most"
                    + " --stream-buffer-events (default: 256, or --stream-buffer-events when smaller).")
    Integer events;

    @Option(names = "--replay-buffer-bytes",
            description = "Streamable HTTP: bound of each session's replay buffer in bytes, at most"
                    + " --stream-buffer-bytes (default: 4194304 = 4 MiB, or --stream-buffer-bytes when smaller).")
    Long bytes;

    /** The settings the flags give; the replay bounds only where given (else the default, fitted to the streams). */
    ResumptionSettings settings() {
        ResumptionSettings resumption = ResumptionSettings.DEFAULTS.withWindow(window);
        if (events == null && bytes == null) {
            return resumption;
        }
        ResumptionSettings.ReplayBounds fallback = ResumptionSettings.ReplayBounds.DEFAULT;
        return resumption.withReplayBuffer(events != null ? events : fallback.maxEvents(),
                bytes != null ? bytes : fallback.maxBytes());
    }
}
