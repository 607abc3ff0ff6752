package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.ModernMeta;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.backend.Backend;
import io.mcpproxy.stdio.backend.ClientCapabilities;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * One modern {@code tools/call}, {@code prompts/get} or {@code resources/read} bridged to the legacy server, over as
 * many rounds (HTTP requests) as the server's requests to the client take. What the legacy server asks the client
 * during the call ({@code sampling/createMessage}, {@code elicitation/create}, {@code roots/list}) becomes an input
 * request of an {@code InputRequiredResult}, keyed by the server request's id; the call then waits at the server
 * (in {@link WaitingCalls}) until the client retries it with its {@code inputResponses}, which answer the waiting
 * server requests, and the retry gets what follows: the result, or the next input requests.
 *
 * <ul>
 *   <li>Server requests that come close together (within {@link #GATHER_MILLIS}) go out in one result.</li>
 *   <li>A server request the round's own {@code inputResponses} already answer (same key) is answered at once; one
 *       needing a capability the client did not declare is answered as such a client would, and if the call then
 *       fails with an error, the client gets {@code MissingRequiredClientCapabilityError} (-32021).</li>
 *   <li>A retry that leaves some server requests unanswered gets them asked again.</li>
 *   <li>Closing a round's stream before its answer cancels the call at the server; so does the client's not coming
 *       back within {@link InputRequestSettings#inputTimeout}, after its server requests were answered with an
 *       error. A call that ends at the server while waiting keeps its answer for the retry.</li>
 * </ul>
 * Thread-safe: the server's reader thread, the client's rounds and the timer meet under this object's lock.
 */
final class BridgedCall implements Backend.Exchange {

    /** {@code MissingRequiredClientCapabilityError}. */
    static final int MISSING_CAPABILITY = -32021;
    /** The requests whose result may be an {@code InputRequiredResult}. */
    static final Set<String> METHODS = Set.of("tools/call", "prompts/get", "resources/read");
    /**
     * How long after a server request the proxy waits for more before it asks the client: a server that asks for
     * several inputs at once writes them together, and one result carrying all saves the client rounds. Generous
     * beside the microseconds that takes, since the proxy's reader may be starved on a busy machine; small beside
     * the seconds a client takes to sample or ask its user. One that comes later is asked in the next round.
     */
    static final long GATHER_MILLIS = 100;

    /**
     * One HTTP request of the call: the first, or a retry.
     *
     * @param responses    its {@code inputResponses} not used yet, by key; guarded by the call
     * @param capabilities the client capabilities it declared
     */
    record Round(StatelessExchange exchange, JsonNode clientId, JsonNode progressToken,
                 Map<String, JsonNode> responses, JsonNode capabilities) {

        static Round of(ObjectNode message, StatelessExchange exchange) {
            JsonNode params = message.path("params");
            Map<String, JsonNode> responses = new LinkedHashMap<>();
            params.path("inputResponses").fields().forEachRemaining(e -> responses.put(e.getKey(), e.getValue()));
            JsonNode meta = params.path("_meta");
            return new Round(exchange, message.get("id"), meta.get("progressToken"), responses,
                    meta.path(ModernMeta.CLIENT_CAPABILITIES));
        }
    }

    private final Backend.Channel channel;
    private final String method;
    /** The request's params without what varies between rounds: a retry must carry the same. */
    private final JsonNode target;
    private final String principal;
    private final WaitingCalls waiting;
    private final RequestStates states;
    private final Supplier<Scheduler> scheduler;

    private Round round; // guarded by this; null while the call waits for its client
    private JsonNode capabilities; // guarded by this; the latest round's
    private final Map<String, ObjectNode> pending = new LinkedHashMap<>(); // guarded by this; server requests by key
    private final Set<String> missingCapabilities = new TreeSet<>(); // guarded by this
    private ObjectNode finalResponse; // guarded by this; the server's answer that came while the call waited
    private Scheduler.Task gathering; // guarded by this
    private boolean over; // guarded by this

    /** @param principal digest of the principal that started the call, or null without authentication */
    BridgedCall(Backend.Channel channel, ObjectNode message, String principal, WaitingCalls waiting,
                RequestStates states, Supplier<Scheduler> scheduler, Round first) {
        this.channel = channel;
        this.method = JsonRpc.method(message);
        this.target = targetOf(message);
        this.principal = principal;
        this.waiting = waiting;
        this.states = states;
        this.scheduler = scheduler;
        this.round = first;
        this.capabilities = first.capabilities();
    }

    /** {@code message}'s params without {@code _meta}, {@code inputResponses} and {@code requestState}. */
    static JsonNode targetOf(ObjectNode message) {
        JsonNode params = message.path("params");
        if (!(params instanceof ObjectNode object)) {
            return params;
        }
        ObjectNode target = object.deepCopy();
        target.remove(List.of("_meta", "inputResponses", "requestState"));
        return target;
    }

    /** Whether the principal with {@code principalDigest} (null: none) started this call. */
    boolean startedBy(String principalDigest) {
        return Objects.equals(principal, principalDigest);
    }

    /** Whether {@code message} is this call's request again (its rounds' fields aside). */
    boolean sameRequest(ObjectNode message) {
        return method.equals(JsonRpc.method(message)) && target.equals(targetOf(message));
    }

    @Override
    public boolean onMessage(ObjectNode message) {
        if (JsonRpc.Kind.of(message) == JsonRpc.Kind.REQUEST) {
            serverRequest(message);
            return true;
        }
        Round current;
        synchronized (this) {
            current = round;
        }
        if (current == null) {
            return true; // the call waits: its client has no stream to hear a progress or log note on
        }
        if ("notifications/progress".equals(JsonRpc.method(message))) {
            if (current.progressToken() == null) {
                return true; // this round did not ask for progress
            }
            ObjectNode progress = message.deepCopy();
            ((ObjectNode) progress.get("params")).set("progressToken", current.progressToken());
            return current.exchange().onMessage(progress);
        }
        return current.exchange().onMessage(message);
    }

    private void serverRequest(ObjectNode request) {
        ObjectNode answer;
        synchronized (this) {
            answer = ClientCapabilities.refusal(capabilities, request);
            if (answer != null) {
                missingCapabilities.add(ClientCapabilities.neededFor(JsonRpc.method(request)));
            } else {
                String key = keyOf(request.get("id"));
                JsonNode given = round == null ? null : round.responses().remove(key);
                if (given != null) {
                    answer = JsonRpc.result(request.get("id"), given);
                } else {
                    pending.put(key, request);
                    gatherSoon();
                }
            }
        }
        if (answer != null) {
            channel.respond(answer);
        }
    }

    /** The input request's key: the server request's id as text, made unique among those pending. */
    private String keyOf(JsonNode serverId) {
        String key = serverId.asText();
        return pending.containsKey(key) ? key + "~" + pending.size() : key;
    }

    /** Under the lock: asks the client once the server has sent what it sends at once. */
    private void gatherSoon() {
        if (round == null) {
            return; // asked in the next round's result
        }
        if (gathering != null) {
            gathering.cancel();
        }
        gathering = scheduler.get().schedule(this::askClient, GATHER_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void askClient() {
        Round answered;
        ObjectNode answer;
        boolean full;
        synchronized (this) {
            gathering = null;
            if (over || round == null || pending.isEmpty()) {
                return;
            }
            answered = round;
            round = null;
            String waitingId = waiting.park(this);
            full = waitingId == null;
            if (full) {
                over = true;
                answer = JsonRpc.proxyError(answered.clientId(), "too_many_waiting_calls", "Too many calls wait"
                        + " for their clients' input at this proxy; retry the request later");
            } else {
                channel.awaitsClient(true);
                answer = JsonRpc.result(answered.clientId(), inputRequired(states.mint(waitingId)));
            }
        }
        if (full) {
            answered.exchange().answer(answer, 503);
            channel.close();
        } else {
            answered.exchange().answer(answer);
        }
    }

    /** Under the lock: the {@code InputRequiredResult} asking for every pending server request. */
    private ObjectNode inputRequired(String requestState) {
        ObjectNode result = JsonRpc.objectNode().put("resultType", "input_required");
        ObjectNode requests = result.putObject("inputRequests");
        pending.forEach((key, request) -> {
            ObjectNode input = requests.putObject(key).put("method", JsonRpc.method(request));
            if (request.get("params") instanceof ObjectNode params) {
                input.set("params", params);
            }
        });
        return result.put("requestState", requestState);
    }

    @Override
    public void onResponse(ObjectNode response) {
        Round answered;
        ObjectNode answer;
        synchronized (this) {
            if (over || finalResponse != null) {
                return; // the proxy ended the call: the backend's own answer to it has nowhere to go
            }
            if (gathering != null) {
                gathering.cancel();
            }
            pending.clear(); // moot: the server finished without them
            answer = withMissingCapability(response);
            if (round == null) {
                finalResponse = answer; // for the retry
                answered = null;
            } else {
                over = true;
                answered = round;
                round = null;
            }
        }
        if (answered != null) {
            answered.exchange().answer(withId(answer, answered.clientId()));
        }
        channel.close(); // nothing is in flight on it any more
    }

    /** The client retried the call with {@code next}: its responses answer the waiting server requests. */
    void retried(Round next) {
        List<ObjectNode> answers = new ArrayList<>();
        ObjectNode done;
        synchronized (this) {
            capabilities = next.capabilities();
            done = finalResponse;
            if (done != null) {
                over = true;
            } else {
                round = next;
                channel.awaitsClient(false);
                for (Iterator<Map.Entry<String, ObjectNode>> it = pending.entrySet().iterator(); it.hasNext(); ) {
                    Map.Entry<String, ObjectNode> entry = it.next();
                    JsonNode given = next.responses().remove(entry.getKey());
                    if (given != null) {
                        answers.add(JsonRpc.result(entry.getValue().get("id"), given));
                        it.remove();
                    }
                }
                if (!pending.isEmpty()) {
                    gatherSoon(); // what the client left unanswered is asked again, with what comes meanwhile
                }
            }
        }
        if (done != null) {
            next.exchange().answer(withId(done, next.clientId()));
            return;
        }
        answers.forEach(channel::respond);
    }

    /** The client closed {@code exchange}'s stream before its answer: the call is cancelled at the server. */
    void abandoned(StatelessExchange exchange) {
        synchronized (this) {
            if (over || round == null || round.exchange() != exchange) {
                return;
            }
            over = true;
            round = null;
            if (gathering != null) {
                gathering.cancel();
            }
        }
        channel.close();
    }

    /** The client did not come back in time: the server's requests get an error, the call is cancelled. */
    void expired() {
        List<ObjectNode> refusals = new ArrayList<>();
        synchronized (this) {
            if (over || round != null) {
                return;
            }
            over = true;
            pending.values().forEach(request -> refusals.add(JsonRpc.error(request.get("id"),
                    JsonRpc.INTERNAL_ERROR, "The client did not answer within " + waiting.inputTimeout())));
            pending.clear();
        }
        refusals.forEach(channel::respond);
        channel.close();
    }

    /** Under the lock: a failed call that needed a capability the client lacks says so (-32021). */
    private ObjectNode withMissingCapability(ObjectNode response) {
        JsonNode error = response.get("error");
        if (missingCapabilities.isEmpty() || error == null) {
            return response;
        }
        ObjectNode data = JsonRpc.objectNode();
        ObjectNode required = data.putObject("requiredCapabilities");
        missingCapabilities.forEach(required::putObject);
        data.set("serverError", error);
        return JsonRpc.error(response.get("id"), MISSING_CAPABILITY, "Missing required client capability: "
                + String.join(", ", missingCapabilities) + " (the server asked for it and failed without it: "
                + error.path("message").asText() + ")", data);
    }

    private static ObjectNode withId(ObjectNode response, JsonNode clientId) {
        ObjectNode copy = response.deepCopy();
        copy.set("id", clientId);
        return copy;
    }
}
