package io.mcpproxy.transparent;

import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.core.auth.AuthSettings;
import io.mcpproxy.core.forward.UpstreamPoolSettings;
import io.mcpproxy.session.SessionSettings;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Everything a {@link TransparentHandler} is built from, as {@link TransparentProxy.Builder} validated it.
 *
 * @param healthCheckInterval null: no health probe
 * @param exposedPaths        the upstream paths forwarded (the targets' endpoints by default)
 * @param auth                how clients authenticate (mode none: not at all)
 * @param stripAuthorization  whether the client's {@code Authorization} header is kept from the upstream
 * @param meterRegistry       null: no metrics
 */
record TransparentSettings(List<URI> targets, String pathPrefix, int unknownSessionStatus,
                           Duration healthCheckInterval, ExposedPaths exposedPaths, ListenerSettings listener,
                           SessionSettings sessions, UpstreamPoolSettings upstreamPool, AuthSettings auth,
                           boolean stripAuthorization, MeterRegistry meterRegistry) {

    TransparentSettings {
        targets = List.copyOf(targets);
    }
}
