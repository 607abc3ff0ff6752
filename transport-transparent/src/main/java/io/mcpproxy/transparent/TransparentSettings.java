package io.mcpproxy.transparent;

import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.core.forward.UpstreamPoolSettings;
import io.mcpproxy.session.SessionSettings;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Everything a {@link TransparentHandler} is built from, as {@link TransparentProxy.Builder} validated it.
 *
 * @param healthCheckInterval null: no health probe
 */
record TransparentSettings(List<URI> targets, String pathPrefix, int unknownSessionStatus,
                           Duration healthCheckInterval, ListenerSettings listener, SessionSettings sessions,
                           UpstreamPoolSettings upstreamPool) {

    TransparentSettings {
        targets = List.copyOf(targets);
    }
}
