package io.mcpproxy.stdio.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.forward.Forwarder;
import io.mcpproxy.core.forward.UpstreamClients;
import io.mcpproxy.core.forward.UpstreamPoolSettings;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionIds;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorageException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica among the others that share its session storage. Without forwarding (no advertise URL) it only names
 * the replica in the sessions it creates, and a request for another replica's session gets 503
 * {@code wrong_replica}. With forwarding, such a request goes to the owner (a replica whose liveness record is
 * gone is over, and so are its sessions: 404), and the replica keeps its liveness record and writes back the
 * sessions it holds when the storage lost them. A Jetty lifecycle component: the upstream client and the
 * heartbeats start and stop with the proxy, the liveness record is removed last.
 */
public final class Cluster extends ContainerLifeCycle {

    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);

    private final ClusterSettings settings;
    private final String replicaId;
    private final ForwardMarker marker;
    private final SessionManager sessions;
    private final Executor workers;
    private final Scheduler scheduler;
    private final HttpClient client; // null without forwarding
    private final OwnerForwarder forwarder; // null without forwarding
    private final ReplicaLiveness liveness; // null without forwarding
    /** Writes back the sessions each transport holds; a transport adds its own. */
    private final List<Runnable> writeBacks = new CopyOnWriteArrayList<>();

    /**
     * @param replicaId this replica's name (the settings' own, or the proxy's default)
     * @param workers   runs storage calls off the timer thread
     * @param scheduler the proxy's timer (running while the proxy runs)
     */
    public Cluster(ClusterSettings settings, String replicaId, SessionManager sessions, Executor workers,
                   Scheduler scheduler) {
        this.settings = settings;
        this.replicaId = replicaId;
        this.marker = ForwardMarker.of(settings.clusterSecret());
        this.sessions = sessions;
        this.workers = workers;
        this.scheduler = scheduler;
        if (settings.forwarding()) {
            UpstreamPoolSettings pool = UpstreamPoolSettings.DEFAULTS;
            // The forward's response listeners only write to the client's response: they may run on the selector
            this.client = UpstreamClients.newClient("mcp-proxy-replicas", pool,
                    Invocable.InvocationType.NON_BLOCKING);
            this.forwarder = new OwnerForwarder(new Forwarder(client, pool), marker);
            this.liveness = new ReplicaLiveness(replicaId, settings.advertiseUrl().toString(),
                    settings.heartbeatInterval(), sessions.observedStorage(), workers, this::writeBack, System::nanoTime);
            addBean(client);
        } else {
            this.client = null;
            this.forwarder = null;
            this.liveness = null;
        }
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart(); // the upstream client first: a heartbeat makes this replica a forwarding target
        if (liveness != null) {
            liveness.start(scheduler);
        }
    }

    /** Stops the heartbeats and removes the liveness record; call it after this replica's sessions have ended. */
    @Override
    protected void doStop() throws Exception {
        if (liveness != null) {
            liveness.stop();
        }
        super.doStop();
    }

    public String replicaId() {
        return replicaId;
    }

    /** Whether replicas forward requests for each other's sessions. */
    public boolean forwarding() {
        return forwarder != null;
    }

    /** What a request's forward marker says. */
    public ForwardMarker.Verdict check(Request request) {
        return marker.check(request);
    }

    /** The metadata naming this replica as a new session's owner (and where the others reach it). */
    public Map<String, String> ownerMetadata() {
        return forwarding() ? Map.of(Session.OWNER, replicaId, Session.OWNER_URL, settings.advertiseUrl().toString())
                : Map.of(Session.OWNER, replicaId);
    }

    /**
     * Whether a session held here that the storage no longer has should be written back rather than ended: with
     * forwarding, every request of a session reaches its owner, so only a storage that lost its data loses it.
     */
    public boolean writesBack() {
        return forwarding();
    }

    /** Adds how to write back the sessions a transport holds (after the storage lost its data). */
    public void onWriteBack(Runnable writeBack) {
        writeBacks.add(writeBack);
    }

    /**
     * After a session was not found: whether the storage lost its data, so that the client should retry (its
     * owner writes it back within a heartbeat) rather than start over.
     */
    public boolean storageLostData() {
        return liveness != null && liveness.storageLostData();
    }

    /**
     * Answers a request for a session another replica owns: 404 when this replica was its forward target (it no
     * longer holds the session; nothing is forwarded twice), 503 {@code wrong_replica} without forwarding, else
     * forwarded to the owner while it lives, 404 (and the session's record deleted) when it is gone, 503 while that
     * is not known.
     *
     * @param forwardedHere whether the request came from another replica
     * @param body          the request body read whole, or null
     */
    public void serveElsewhere(Request request, Response response, Callback callback, byte[] body, JsonNode id,
                               Session.Type type, String sessionId, String owner, String ownerUrl,
                               boolean forwardedHere) {
        if (forwardedHere) {
            JsonResponses.sessionNotFound(response, callback, id);
            return;
        }
        if (!forwarding() || ownerUrl == null) {
            JsonResponses.wrongReplica(response, callback, id, owner);
            return;
        }
        switch (liveness.of(owner)) {
            case ALIVE -> forwarder.forward(request, response, callback, body, URI.create(ownerUrl));
            case GONE -> {
                LOG.info("replica {} holding session {} is gone; the session is over", owner,
                        SessionIds.redact(sessionId));
                forgetLater(type, sessionId);
                JsonResponses.sessionNotFound(response, callback, id);
            }
            case UNKNOWN -> JsonResponses.unavailable(response, callback, id, "owner_unknown",
                    "Whether the proxy replica holding this session lives is not known right now; retry shortly", 1);
        }
    }

    /**
     * A key for {@code purpose} derived from the cluster secret (HMAC-SHA256 of the purpose under the secret), the
     * same on every replica of the cluster; null without a secret.
     */
    public byte[] derivedKey(String purpose) {
        return settings.clusterSecret() == null ? null : ForwardMarker.derive(settings.clusterSecret(), purpose);
    }

    /** What the storage says of replica {@code replica}; {@code UNKNOWN} without forwarding. */
    public ReplicaLiveness.Verdict liveness(String replica) {
        return liveness == null ? ReplicaLiveness.Verdict.UNKNOWN : liveness.of(replica);
    }

    /**
     * Forwards a request for work another replica holds (not a session: a call waiting for its client's input) to
     * that replica at {@code replicaUrl}, as {@link #serveElsewhere} forwards a session's request.
     *
     * @throws IllegalStateException without forwarding
     */
    public void forward(Request request, Response response, Callback callback, byte[] body, URI replicaUrl) {
        if (forwarder == null) {
            throw new IllegalStateException("this replica forwards nothing (no advertise URL)");
        }
        forwarder.forward(request, response, callback, body, replicaUrl);
    }

    /** Where the other replicas reach this one, or null without forwarding. */
    public URI advertiseUrl() {
        return settings.advertiseUrl();
    }

    private void forgetLater(Session.Type type, String sessionId) {
        workers.execute(() -> {
            try {
                sessions.delete(type, sessionId);
            } catch (SessionStorageException e) {
                LOG.debug("could not delete the session of a replica that is gone: {}", e.getMessage());
            }
        });
    }

    private void writeBack() {
        writeBacks.forEach(Runnable::run);
    }

    /** How often the liveness record is refreshed. */
    public Duration heartbeatInterval() {
        return settings.heartbeatInterval();
    }
}
