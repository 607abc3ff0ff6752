package io.mcpproxy.example;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/** The little state one server process keeps; shared by the reader thread and all workers. */
final class ServerState {

    /** RFC 5424 severities as MCP names them, least severe first. */
    private static final List<String> LEVELS =
            List.of("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency");

    private final boolean allowReinitialize;
    private final AtomicBoolean initialized = new AtomicBoolean();
    /** Requests received, this one included: tests prove with it that a refused request never reached the server. */
    private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
    private final List<JsonNode> cancelledIds = new CopyOnWriteArrayList<>();
    /** The method of every request received, in arrival order: what a proxy let through. */
    private final List<String> requestMethods = new CopyOnWriteArrayList<>();
    /** What the last {@code roots/list} after {@code notifications/roots/list_changed} brought, or why it failed. */
    private volatile String knownRoots = "none asked yet";
    /** The params of the initialize this server accepted last, or null before one. */
    private volatile JsonNode initializeParams;
    /** Until the client calls {@code logging/setLevel} everything is sent. */
    private volatile int minimumLevel = 0;

    ServerState(boolean allowReinitialize) {
        this.allowReinitialize = allowReinitialize;
    }

    /** @return false if this is a repeated initialize that must be refused */
    boolean markInitialized() {
        return !initialized.getAndSet(true) || allowReinitialize;
    }

    void initializedWith(JsonNode params) {
        initializeParams = params;
    }

    /** @return the params of the last accepted initialize, or null before one */
    JsonNode initializeParams() {
        return initializeParams;
    }

    void recordRequest(String method) {
        requestMethods.add(method);
    }

    /** @return the method of every request received so far, in arrival order */
    ArrayNode requestMethods() {
        ArrayNode methods = Wire.JSON.createArrayNode();
        requestMethods.forEach(methods::add);
        return methods;
    }

    void subscribe(String uri) {
        subscriptions.add(uri);
    }

    void unsubscribe(String uri) {
        subscriptions.remove(uri);
    }

    boolean isSubscribed(String uri) {
        return subscriptions.contains(uri);
    }

    void recordCancelled(JsonNode requestId) {
        cancelledIds.add(requestId);
    }

    void rootsChanged(String roots) {
        knownRoots = roots;
    }

    String knownRoots() {
        return knownRoots;
    }

    /** @return every {@code requestId} seen in {@code notifications/cancelled}, in arrival order */
    ArrayNode cancelledIds() {
        return Wire.JSON.createArrayNode().addAll(cancelledIds);
    }

    /** @throws RpcException if {@code level} is not an MCP logging level */
    void setLogLevel(String level) throws RpcException {
        int index = LEVELS.indexOf(level);
        if (index < 0) {
            throw new RpcException(RpcException.INVALID_PARAMS, "Invalid log level: " + level + ", expected one of " + LEVELS);
        }
        minimumLevel = index;
    }

    /** @return whether a {@code notifications/message} of this level may be sent under the current setLevel */
    boolean shouldLog(String level) {
        return LEVELS.indexOf(level) >= minimumLevel;
    }
}
