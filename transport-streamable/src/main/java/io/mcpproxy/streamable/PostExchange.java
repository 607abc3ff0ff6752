package io.mcpproxy.streamable;

import io.mcpproxy.core.observe.SseMetrics;
import io.mcpproxy.session.SessionIds;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.stdio.backend.Backend;
import io.mcpproxy.core.ProtocolVersions;
import io.mcpproxy.stdio.StreamSettings;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.SseStream;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The answer to one POST that carried requests (one, or a 2025-03-26 batch). Nothing is committed until the first
 * message for it arrives: if every response comes before any other message, the answer is one
 * {@code application/json} body; as soon as a related notification or server request comes first, the answer
 * becomes an SSE stream that carries everything else, and ends after the last response.
 */
final class PostExchange {

    private final Response response;
    private final Callback callback;
    private final LocalSession session;
    private final boolean batch;
    private final StreamSettings streams;
    private final SseMetrics sseMetrics;
    private final String protocolVersion;
    private final Consumer<ObjectNode> responseObserver;
    private final List<ObjectNode> responses = new ArrayList<>();
    private int outstanding;
    private ResumableStream stream; // non-null once switched to SSE
    private boolean done;

    PostExchange(Response response, Callback callback, LocalSession session, int requests, boolean batch,
                 StreamSettings streams, SseMetrics sseMetrics, String protocolVersion,
                 Consumer<ObjectNode> responseObserver) {
        this.response = response;
        this.callback = callback;
        this.session = session;
        this.outstanding = requests;
        this.batch = batch;
        this.streams = streams;
        this.sseMetrics = sseMetrics;
        this.protocolVersion = protocolVersion;
        this.responseObserver = responseObserver;
    }

    /** The exchange of one request of this POST. */
    Backend.Exchange exchange() {
        return new Backend.Exchange() {
            @Override
            public boolean onMessage(ObjectNode message) {
                return related(message);
            }

            @Override
            public void onResponse(ObjectNode message) {
                responded(message);
            }
        };
    }

    /**
     * False when the POST is already answered, or its connection is gone and replay is off (the backend counts the
     * message). With replay on, a message for a dropped connection waits in the replay buffer for the client to
     * resume.
     */
    private synchronized boolean related(ObjectNode message) {
        if (done) {
            return false;
        }
        switchToStream();
        return send(message);
    }

    private void responded(ObjectNode message) {
        responseObserver.accept(message);
        synchronized (this) {
            if (done) {
                return;
            }
            outstanding--;
            if (stream != null) {
                send(message);
                if (outstanding == 0) {
                    done = true;
                    stream.end();
                }
                return;
            }
            responses.add(message);
            if (outstanding > 0) {
                return;
            }
            done = true;
        }
        if (batch) {
            ArrayNode array = JsonRpc.MAPPER.createArrayNode();
            responses.forEach(array::add);
            JsonResponses.write(response, callback, 200, array);
        } else {
            JsonResponses.write(response, callback, 200, responses.get(0));
        }
    }

    private void switchToStream() {
        if (stream != null) {
            return;
        }
        stream = session.openPostStream();
        SseStream connection = SseStream.open(response, callback, streams.maxQueuedEvents(),
                streams.maxQueuedBytes(), "POST stream of session " + SessionIds.redact(session.id()), sseMetrics);
        if (ProtocolVersions.primesStreams(protocolVersion)) {
            connection.prime(stream.nextId());
        }
        stream.connect(connection);
        for (ObjectNode earlier : responses) { // batch responses that came before the switch
            send(earlier);
        }
        responses.clear();
    }

    private boolean send(ObjectNode message) {
        return stream.send(JsonRpc.toJson(message));
    }
}
