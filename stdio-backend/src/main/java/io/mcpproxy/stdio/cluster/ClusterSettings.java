package io.mcpproxy.stdio.cluster;

import io.mcpproxy.core.Settings;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * How the replicas of a stdio proxy that share a session storage find and trust each other. Each option's default,
 * unit and valid range are declared here once.
 *
 * <p>Without an {@code advertiseUrl} a replica serves only the sessions it holds itself, and answers a request for
 * another replica's session with 503 {@code wrong_replica} (a load balancer must then stick sessions to replicas).
 * With one, it forwards such a request to the session's owner, so that any replica serves any session.
 *
 * @param replicaId         this replica's name in session metadata ({@code owner}) and in its liveness record.
 *                          Default null: {@code <hostname>:<port>}, stable across restarts
 * @param advertiseUrl      the URL the other replicas reach this one at (its scheme, host and port; e.g. the pod
 *                          IP), or null (the default): no forwarding between replicas
 * @param clusterSecret     the secret the replicas share; a forwarded request carries a token derived from it, and a
 *                          request carrying a token that does not match is refused with 403. Required with an
 *                          {@code advertiseUrl} ({@link #complete}), at least 16 characters. Default null
 * @param heartbeatInterval the life of a replica's liveness record is two intervals, and the replica refreshes it
 *                          twice per interval; a replica that died is known dead within two intervals. At least
 *                          100 ms. Default 1 s
 */
public record ClusterSettings(String replicaId, URI advertiseUrl, String clusterSecret, Duration heartbeatInterval) {

    /** Every option at its default: no forwarding between replicas. */
    public static final ClusterSettings DEFAULTS = new ClusterSettings(null, null, null, Duration.ofSeconds(1));

    public ClusterSettings {
        if (replicaId != null) {
            Settings.requireText(replicaId, "replicaId");
        }
        if (advertiseUrl != null && (!advertiseUrl.isAbsolute() || advertiseUrl.getHost() == null
                || !("http".equals(advertiseUrl.getScheme()) || "https".equals(advertiseUrl.getScheme())))) {
            throw new IllegalArgumentException("advertiseUrl must be an absolute http(s) URL, got " + advertiseUrl);
        }
        if (clusterSecret != null && clusterSecret.getBytes(StandardCharsets.UTF_8).length < 16) {
            throw new IllegalArgumentException("clusterSecret must be at least 16 characters long");
        }
        Settings.requireAtLeast(heartbeatInterval, Duration.ofMillis(100), "heartbeatInterval");
    }

    /**
     * These settings, once every option is given: an {@code advertiseUrl} needs a {@code clusterSecret}.
     *
     * @throws IllegalStateException when it has none
     */
    public ClusterSettings complete() {
        if (advertiseUrl != null && clusterSecret == null) {
            throw new IllegalStateException("advertiseUrl needs a clusterSecret: replicas forward to each other only"
                    + " what carries it");
        }
        return this;
    }

    /** Whether replicas forward requests for each other's sessions. */
    public boolean forwarding() {
        return advertiseUrl != null;
    }

    /** How long a liveness record lives without a heartbeat: two intervals. */
    public Duration livenessTtl() {
        return heartbeatInterval.multipliedBy(2);
    }

    public ClusterSettings withReplicaId(String replicaId) {
        return new ClusterSettings(Settings.requireText(replicaId, "replicaId"), advertiseUrl, clusterSecret,
                heartbeatInterval);
    }

    /** Forwarding between replicas, this one reached at {@code advertiseUrl} (it needs a cluster secret too). */
    public ClusterSettings withAdvertiseUrl(URI advertiseUrl) {
        return new ClusterSettings(replicaId, Objects.requireNonNull(advertiseUrl, "advertiseUrl"), clusterSecret,
                heartbeatInterval);
    }

    public ClusterSettings withClusterSecret(String secret) {
        return new ClusterSettings(replicaId, advertiseUrl, Objects.requireNonNull(secret, "clusterSecret"),
                heartbeatInterval);
    }

    public ClusterSettings withHeartbeatInterval(Duration interval) {
        return new ClusterSettings(replicaId, advertiseUrl, clusterSecret, interval);
    }

    @Override
    public String toString() {
        // The secret stays out of logs
        return "ClusterSettings[replicaId=" + replicaId + ", advertiseUrl=" + advertiseUrl + ", clusterSecret="
                + (clusterSecret == null ? "none" : "***") + ", heartbeatInterval=" + heartbeatInterval + "]";
    }
}
