package io.mcpproxy.core.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.ModernMeta;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.http.HttpFields;

/**
 * The "Server Validation" rules of the 2026-07-28 Streamable HTTP transport: the headers a modern request mirrors
 * from its body ({@code MCP-Protocol-Version}, {@code Mcp-Method}, {@code Mcp-Name}, {@code Mcp-Param-*}) must be
 * there and match it, so that an intermediary routing on a header and the server acting on the body never disagree.
 * Pure functions of the headers, the body and the tool's mirrored parameters, shared by every proxy that reads a
 * modern request's body.
 */
public final class MirroredHeaders {

    /** {@code HeaderMismatch}: a mirrored header is missing, malformed or differs from the body. */
    public static final int HEADER_MISMATCH = -32020;

    /** The {@code _meta} key of a modern request's protocol version. */
    public static final String METHOD_HEADER = "Mcp-Method";
    public static final String NAME_HEADER = "Mcp-Name";
    public static final String PARAM_HEADER_PREFIX = "Mcp-Param-";

    private static final Set<String> NAMED_METHODS = Set.of("tools/call", "resources/read", "prompts/get");
    private static final String SENTINEL_START = "=?base64?";
    private static final String SENTINEL_END = "?=";

    private MirroredHeaders() {
    }

    /**
     * Why the headers do not match {@code message}, or null when they do: the check of a server, which processes
     * the body.
     *
     * @param version      the request's {@code MCP-Protocol-Version}
     * @param paramHeaders for a {@code tools/call}: the tool's mirrored parameters, header name (after
     *                     {@code Mcp-Param-}) to argument name; empty when the tool's schema is not known
     */
    public static String mismatch(HttpFields headers, ObjectNode message, String version, Map<String, String> paramHeaders) {
        String bodyVersion = bodyVersion(message);
        if (!version.equals(bodyVersion)) {
            return versionDiffers(version, bodyVersion);
        }
        String standard = standardMismatch(headers, message);
        if (standard != null || !"tools/call".equals(JsonRpc.method(message))) {
            return standard;
        }
        return paramMismatch(headers, message.path("params").path("arguments"), paramHeaders);
    }

    /**
     * Why the headers do not match {@code message}, or null when they do: the check of an intermediary that
     * forwards the request to a server and acts on its standard headers ({@code MCP-Protocol-Version},
     * {@code Mcp-Method}, {@code Mcp-Name}). Only disagreement is its business: a body that names no version is
     * the server's to refuse (as invalid params), and {@code Mcp-Param-*} headers, which it does not recognize,
     * go on unchecked for the server to check.
     *
     * @param version the request's {@code MCP-Protocol-Version}
     */
    public static String forwardedMismatch(HttpFields headers, ObjectNode message, String version) {
        String bodyVersion = bodyVersion(message);
        if (bodyVersion != null && !bodyVersion.equals(version)) {
            return versionDiffers(version, bodyVersion);
        }
        return standardMismatch(headers, message);
    }

    /**
     * {@code Mcp-Method} for every request, {@code Mcp-Name} for those that name a tool, resource or prompt. Either
     * header sent twice is a mismatch: one component could read the first value and another the last.
     */
    private static String standardMismatch(HttpFields headers, ObjectNode message) {
        String method = JsonRpc.method(message);
        String methodHeader = headers.get(METHOD_HEADER);
        if (methodHeader == null || !methodHeader.equals(method)) {
            return differs(METHOD_HEADER, methodHeader, method);
        }
        if (repeated(headers, METHOD_HEADER)) {
            return METHOD_HEADER + " header is sent more than once";
        }
        if (NAMED_METHODS.contains(method)) {
            String name = message.path("params").path("resources/read".equals(method) ? "uri" : "name").asText(null);
            String nameHeader = decoded(headers.get(NAME_HEADER));
            if (nameHeader == null || !nameHeader.equals(name)) {
                return differs(NAME_HEADER, headers.get(NAME_HEADER), name);
            }
            if (repeated(headers, NAME_HEADER)) {
                return NAME_HEADER + " header is sent more than once";
            }
        }
        return null;
    }

    private static boolean repeated(HttpFields headers, String name) {
        return headers.getValuesList(name).size() > 1;
    }

    private static String versionDiffers(String version, String bodyVersion) {
        return "MCP-Protocol-Version header value '" + version + "' does not match body value '" + bodyVersion + "'";
    }

    /** The protocol version a message's {@code _meta} names, or null. */
    public static String bodyVersion(ObjectNode message) {
        return message.path("params").path("_meta").path(ModernMeta.PROTOCOL_VERSION).asText(null);
    }

    private static String paramMismatch(HttpFields headers, JsonNode arguments, Map<String, String> paramHeaders) {
        for (Map.Entry<String, String> mirrored : paramHeaders.entrySet()) {
            String header = PARAM_HEADER_PREFIX + mirrored.getKey();
            String raw = headers.get(header);
            JsonNode value = arguments.get(mirrored.getValue());
            if (value == null || value.isNull()) {
                continue; // nothing to mirror: the header is not expected (and not checked)
            }
            String decoded = decoded(raw);
            if (decoded == null || !sameValue(decoded, value)) {
                return differs(header, raw, value.isTextual() ? value.asText() : value.toString());
            }
        }
        return null;
    }

    /** A header value matches a string as is, a number numerically ({@code 42.0} = {@code 42}), a boolean as text. */
    private static boolean sameValue(String header, JsonNode value) {
        if (value.isNumber()) {
            try {
                return new BigDecimal(header).compareTo(value.decimalValue()) == 0;
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return header.equals(value.isTextual() ? value.asText() : value.toString());
    }

    /**
     * The value of a header that may use the Base64 sentinel ({@code =?base64?…?=}), or null when absent,
     * undecodable or carrying characters a header may not (controls other than tab).
     */
    public static String decoded(String raw) {
        if (raw == null || raw.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c > 0x7E)) {
            return null;
        }
        if (raw.startsWith(SENTINEL_START) && raw.endsWith(SENTINEL_END)
                && raw.length() >= SENTINEL_START.length() + SENTINEL_END.length()) {
            String encoded = raw.substring(SENTINEL_START.length(), raw.length() - SENTINEL_END.length());
            if (encoded.length() % 4 != 0) {
                return null; // padding is not optional here: a value cut short must not pass as another
            }
            try {
                return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return raw;
    }

    private static String differs(String header, String headerValue, String bodyValue) {
        return headerValue == null ? header + " header is missing"
                : header + " header value '" + headerValue + "' does not match body value '" + bodyValue + "'";
    }
}
