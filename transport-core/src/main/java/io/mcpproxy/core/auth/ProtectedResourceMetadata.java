package io.mcpproxy.core.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.http.JsonResponses;
import io.mcpproxy.core.http.JsonRpcPost;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.HashSet;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves the Protected Resource Metadata (RFC 9728) of a proxy in {@code oauth} mode, without authentication, at
 * {@code /.well-known/oauth-protected-resource} and at that path followed by the audience's path or an endpoint's
 * path: the resource (the audience), its authorization server (the issuer), the scopes and how tokens are sent.
 * In other modes it serves nothing.
 */
public final class ProtectedResourceMetadata extends Handler.Abstract.NonBlocking {

    private final Set<String> paths = new HashSet<>();
    private final byte[] document;

    /** @param endpointPaths the paths the proxy serves MCP at (each also a well-known suffix) */
    public ProtectedResourceMetadata(Authentication authentication, java.util.Collection<String> endpointPaths) {
        AuthSettings settings = authentication.settings();
        if (settings.mode() != AuthMode.OAUTH) {
            this.document = null;
            return;
        }
        paths.add(Authentication.METADATA_PATH);
        paths.add(Authentication.METADATA_PATH + Authentication.resourcePath(settings.audience()));
        endpointPaths.forEach(path -> paths.add(Authentication.METADATA_PATH + path));
        ObjectNode metadata = JsonRpc.objectNode();
        metadata.put("resource", settings.audience().toString());
        metadata.putArray("authorization_servers").add(settings.issuer().toString());
        settings.requiredScopes().forEach(metadata.putArray("scopes_supported")::add);
        metadata.putArray("bearer_methods_supported").add("header");
        this.document = JsonRpc.toBytes(metadata);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (document == null || !paths.contains(Request.getPathInContext(request))) {
            return false;
        }
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            JsonRpcPost.rejectUnread(request, response, callback, 405, JsonRpc.INVALID_REQUEST,
                    "Method Not Allowed: " + request.getMethod());
            return true;
        }
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "max-age=300");
        JsonResponses.write(response, callback, 200, JsonRpc.parse(document));
        return true;
    }
}
