package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.ModernMeta;
import io.mcpproxy.core.ProtocolVersions;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a new server process's era as the 2026-07-28 stdio binding's backward compatibility section describes: the
 * first thing the process gets is a {@code server/discover} at the latest modern version. A {@code DiscoverResult}
 * that lists a modern version, or an {@code UnsupportedProtocolVersionError} ({@code -32022}) with a
 * {@code supported} list, means modern; any other error, a result without a modern version, or no answer within
 * {@link #TIMEOUT}, legacy (never keyed to one error code: legacy servers answer unknown requests before
 * {@code initialize} in their own ways, or not at all).
 */
final class EraProbe {

    /**
     * Longest wait for the probe's answer. Generous because it includes the server's start-up (a JVM or Python
     * interpreter on a busy machine); a legacy server that ignores the probe is served after it, and
     * {@link ServerEra#LEGACY} skips the wait.
     */
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** {@code UnsupportedProtocolVersionError} of the modern revision. */
    static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

    private static final Logger LOG = LoggerFactory.getLogger(EraProbe.class);

    private EraProbe() {
    }

    /** Sends the probe to {@code process} and decides its {@link ProcessEra} from the answer, or its absence. */
    static void probe(String serverName, ServerProcess process, RequestTable requests, Scheduler scheduler) {
        ProcessEra era = process.era();
        long proxyId = requests.internalRequest(response -> {
            ServerEra found = eraOf(response);
            if (era.decide(found, found == ServerEra.MODERN ? discoverResult(response) : null)) {
                LOG.info("[{}] the MCP server is {} (server/discover probe: {})", serverName, found,
                        abbreviate(response));
            }
        });
        Scheduler.Task timeout = scheduler.schedule(() -> {
            if (era.decide(ServerEra.LEGACY, null)) {
                LOG.info("[{}] the MCP server did not answer the server/discover probe within {} s: legacy",
                        serverName, TIMEOUT.toSeconds());
            }
        }, TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        era.whenDecided(timeout::cancel);
        try {
            process.send(JsonRpc.request(LongNode.valueOf(proxyId), "server/discover", params()));
        } catch (IOException e) {
            era.decide(ServerEra.LEGACY, null); // the process is gone: its exit fails what waits on it
        }
    }

    /** The era a probe's response shows. */
    static ServerEra eraOf(ObjectNode response) {
        JsonNode error = response.get("error");
        if (error != null) {
            return error.path("code").asInt() == UNSUPPORTED_PROTOCOL_VERSION
                    && error.path("data").path("supported").isArray() ? ServerEra.MODERN : ServerEra.LEGACY;
        }
        for (JsonNode version : response.path("result").path("supportedVersions")) {
            if (ProtocolVersions.isModern(version.asText())) {
                return ServerEra.MODERN;
            }
        }
        return ServerEra.LEGACY;
    }

    private static ObjectNode discoverResult(ObjectNode response) {
        return response.get("result") instanceof ObjectNode result ? result : null;
    }

    /** Params of a modern request of the proxy's own: the latest modern version, no capabilities, the proxy. */
    static ObjectNode params() {
        ObjectNode params = JsonRpc.objectNode();
        ObjectNode meta = params.putObject("_meta");
        meta.put(ModernMeta.PROTOCOL_VERSION, ProtocolVersions.LATEST_MODERN);
        meta.putObject(ModernMeta.CLIENT_CAPABILITIES);
        meta.putObject(ModernMeta.CLIENT_INFO).put("name", ClientCapabilities.PROXY_NAME)
                .put("version", ClientCapabilities.PROXY_VERSION);
        return params;
    }

    private static String abbreviate(ObjectNode response) {
        String text = JsonRpc.toJson(response);
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }
}
