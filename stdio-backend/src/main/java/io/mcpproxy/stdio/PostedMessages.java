package io.mcpproxy.stdio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.backend.Backend;
import java.util.List;
import java.util.function.Consumer;

/**
 * The client messages of one POST, taken the same way by both stdio transports, in the order the client listed
 * them: notifications and answers to server requests go to the session's channel; each request goes to the
 * transport's sender, which sends it with the exchange its answer travels back on.
 *
 * @param requests      how many requests the POST carried
 * @param accepted      whether the channel took a notification or an answer
 * @param refusedAnswer the id of an answer to a server request this session never received (refused and counted by
 *                      the backend), or null
 */
public record PostedMessages(int requests, boolean accepted, JsonNode refusedAnswer) {

    /** Hands the POST's messages on in order: requests to {@code sendRequest}, the rest to {@code channel}. */
    public static PostedMessages deliver(Backend.Channel channel, List<ObjectNode> messages,
                                         Consumer<ObjectNode> sendRequest) {
        int requests = 0;
        boolean accepted = false;
        JsonNode refused = null;
        for (ObjectNode message : messages) {
            switch (JsonRpc.Kind.of(message)) {
                case REQUEST -> {
                    requests++;
                    sendRequest.accept(message);
                }
                case NOTIFICATION -> {
                    channel.notify(message);
                    accepted = true;
                }
                default -> {
                    if (channel.respond(message)) {
                        accepted = true;
                    } else {
                        refused = message.get("id");
                    }
                }
            }
        }
        return new PostedMessages(requests, accepted, refused);
    }

    /** How many of {@code messages} are requests (each needs an answer). */
    public static int countRequests(List<ObjectNode> messages) {
        int requests = 0;
        for (ObjectNode message : messages) {
            if (JsonRpc.Kind.of(message) == JsonRpc.Kind.REQUEST) {
                requests++;
            }
        }
        return requests;
    }

    /**
     * Whether the POST carried nothing the server accepts, only an answer nobody awaits: the client gets 400, since
     * 202 means accepted.
     */
    public boolean onlyRefused() {
        return requests == 0 && !accepted && refusedAnswer != null;
    }
}
