package io.mcpproxy.runner;

import io.mcpproxy.stdio.StreamSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags of {@link StreamSettings}, for the subcommands in front of a stdio server. */
final class StreamOptions {

    @Option(names = "--keep-alive", converter = DurationConverter.class,
            description = "Interval of SSE keep-alive comments (default: ${DEFAULT-VALUE}).")
    Duration keepAlive;

    @Option(names = "--stream-buffer-events",
            description = "Bound of each SSE stream's outbound queue in events; a client that falls further behind is"
                    + " cut off (default: ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--stream-buffer-bytes",
            description = "Bound of each SSE stream's outbound queue in bytes; a client that falls further behind is"
                    + " cut off (default: ${DEFAULT-VALUE} = 8 MiB).")
    long bytes;

    StreamSettings settings() {
        return StreamSettings.DEFAULTS.withKeepAliveInterval(keepAlive).withStreamBuffer(events, bytes);
    }
}
