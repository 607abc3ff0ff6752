package io.mcpproxy.runner;

import io.mcpproxy.stdio.cluster.ClusterSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags of {@link ClusterSettings}, for the subcommands in front of a stdio server. */
final class ClusterOptions {

    /** The environment variable that may hold the cluster secret instead of a file. */
    static final String SECRET_VARIABLE = "MCP_PROXY_CLUSTER_SECRET";

    @Option(names = "--replica-id", description = "This replica's name in session metadata (default: hostname:port).")
    String replicaId;

    @Option(names = "--advertise-url", paramLabel = "URL",
            description = "The URL the other replicas reach this one at (e.g. http://10.0.0.7:8080); with it, any"
                    + " replica sharing the --redis-url serves any session, forwarding to the replica that holds it."
                    + " Needs a cluster secret. Default: none (a request for another replica's session gets 503).")
    URI advertiseUrl;

    @Option(names = "--cluster-secret-file", paramLabel = "FILE",
            description = "File holding the secret the replicas share (at least 16 characters; surrounding white"
                    + " space ignored). Or the environment variable " + SECRET_VARIABLE + ".")
    Path secretFile;

    @Option(names = "--heartbeat-interval", converter = DurationConverter.class,
            description = "How often a replica refreshes its liveness record; a replica gone for two intervals is"
                    + " over, and so are its sessions (default: ${DEFAULT-VALUE}).")
    Duration heartbeatInterval;

    /** @throws IllegalArgumentException for a value the record refuses, or a secret file that cannot be read */
    ClusterSettings settings() {
        ClusterSettings settings = ClusterSettings.DEFAULTS.withHeartbeatInterval(heartbeatInterval);
        if (replicaId != null) {
            settings = settings.withReplicaId(replicaId);
        }
        if (advertiseUrl != null) {
            settings = settings.withAdvertiseUrl(advertiseUrl);
        }
        String secret = secret();
        return secret == null ? settings : settings.withClusterSecret(secret);
    }

    private String secret() {
        if (secretFile != null) {
            try {
                return Files.readString(secretFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --cluster-secret-file " + secretFile + ": " + e);
            }
        }
        String variable = System.getenv(SECRET_VARIABLE);
        return variable == null || variable.isBlank() ? null : variable.strip();
    }
}
