package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * What the proxy tells a shared server about its client, and what it checks for each session in return. The shared
 * server is initialized once, so it must not learn the first client's limits: it is told the proxy is the client,
 * with every capability the proxy can route. Each session's own declaration then decides whether a server request
 * routed to it is delivered or answered by the proxy the way that client would answer it.
 */
public final class ClientCapabilities {

    /** The {@code clientInfo.name} the shared server sees. */
    static final String PROXY_NAME = "mcp-transport-proxy";
    /** The {@code _meta} key under which the shared server gets the first client's own {@code clientInfo}. */
    static final String FIRST_CLIENT_META = "io.mcpproxy/firstClient";
    /** The proxy's version, from the build. */
    static final String PROXY_VERSION = buildVersion();
    /** The first protocol version with elicitation modes ({@code form}, {@code url}). */
    private static final String ELICITATION_MODES_SINCE = "2025-11-25";

    private ClientCapabilities() {
    }

    /**
     * The params of the shared server's one {@code initialize}: the first client's, with the proxy's
     * {@code clientInfo} and every client capability the proxy routes; that client's {@code clientInfo} is kept in
     * {@code _meta}.
     */
    static ObjectNode sharedInitializeParams(JsonNode firstClientParams) {
        ObjectNode params = firstClientParams instanceof ObjectNode object ? object.deepCopy() : JsonRpc.objectNode();
        JsonNode firstClient = params.get("clientInfo");
        params.putObject("clientInfo").put("name", PROXY_NAME).put("version", PROXY_VERSION);
        params.set("capabilities", routed(params.path("protocolVersion").asText("")));
        if (firstClient != null) {
            ObjectNode meta = params.get("_meta") instanceof ObjectNode own ? own : params.putObject("_meta");
            meta.set(FIRST_CLIENT_META, firstClient);
        }
        return params;
    }

    /** Every client capability the proxy routes, as an {@code initialize} of {@code protocolVersion} declares them. */
    public static ObjectNode routed(String protocolVersion) {
        ObjectNode capabilities = JsonRpc.objectNode();
        capabilities.putObject("sampling");
        ObjectNode elicitation = capabilities.putObject("elicitation");
        if (protocolVersion.compareTo(ELICITATION_MODES_SINCE) >= 0) {
            elicitation.putObject("form");
            elicitation.putObject("url");
        }
        capabilities.putObject("roots").put("listChanged", true);
        return capabilities;
    }

    /** The client capability a server request needs ({@code sampling}, {@code elicitation}, {@code roots}), or null. */
    public static String neededFor(String method) {
        return switch (method) {
            case "sampling/createMessage" -> "sampling";
            case "elicitation/create" -> "elicitation";
            case "roots/list" -> "roots";
            default -> null;
        };
    }

    /**
     * The error the client of a session would answer a server request with, for lack of the capability it needs,
     * or null when the session declared it: -32601 for an undeclared capability, -32602 for an elicitation mode it
     * did not declare.
     *
     * @param declared the {@code capabilities} of the session's initialize; null or missing: none
     */
    public static ObjectNode refusal(JsonNode declared, ObjectNode serverRequest) {
        JsonNode capabilities = declared == null ? JsonRpc.objectNode() : declared;
        String method = JsonRpc.method(serverRequest);
        String needed = neededFor(method);
        if (needed == null) {
            return null;
        }
        JsonNode id = serverRequest.get("id");
        if (!capabilities.path(needed).isObject()) {
            return JsonRpc.error(id, JsonRpc.METHOD_NOT_FOUND, "Client does not support " + needed + " ("
                    + method + ")");
        }
        if (needed.equals("elicitation")) {
            String mode = serverRequest.path("params").path("mode").asText("form");
            JsonNode modes = capabilities.path("elicitation");
            boolean declaredMode = modes.has(mode) || (mode.equals("form") && !modes.has("url"));
            if (!declaredMode) { // an empty elicitation object means form mode only
                return JsonRpc.error(id, JsonRpc.INVALID_PARAMS, "Client does not support elicitation mode '"
                        + mode + "'");
            }
        }
        return null;
    }

    private static String buildVersion() {
        Properties build = new Properties();
        try (InputStream in = ClientCapabilities.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                build.load(in);
            }
        } catch (IOException e) {
            // no version to tell: the default below
        }
        return build.getProperty("version", "unknown");
    }
}
