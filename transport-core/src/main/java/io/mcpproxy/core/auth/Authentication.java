package io.mcpproxy.core.auth;

import io.mcpproxy.core.http.JsonRpcPost;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.net.URI;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the {@code Authorization} header of every request a proxy serves, as its {@link AuthSettings} say, and
 * answers those that fail as the MCP authorization specification describes: 401 with a {@code WWW-Authenticate}
 * challenge naming the Protected Resource Metadata, 403 {@code insufficient_scope}, 503 while the issuer's keys
 * cannot be fetched; each with a JSON-RPC error body. A lifecycle bean: starting it reads the bearer tokens file
 * (a bad file fails the start) or discovers the OAuth issuer (a failure is retried on later requests).
 */
public final class Authentication extends AbstractLifeCycle {

    private static final Logger LOG = LoggerFactory.getLogger(Authentication.class);
    /** The request attribute holding the {@link Principal} of an authenticated request. */
    public static final String PRINCIPAL_ATTRIBUTE = "io.mcpproxy.principal";
    /** The well-known path of the Protected Resource Metadata (RFC 9728). */
    public static final String METADATA_PATH = "/.well-known/oauth-protected-resource";

    private final AuthSettings settings;
    private volatile TokenVerifier verifier; // set by doStart; null in mode none

    public Authentication(AuthSettings settings) {
        this.settings = settings;
    }

    public AuthSettings settings() {
        return settings;
    }

    /** Whether requests must carry a valid token. */
    public boolean enabled() {
        return settings.enabled();
    }

    @Override
    protected void doStart() throws Exception {
        switch (settings.mode()) {
            case NONE -> verifier = null;
            case BEARER -> verifier = BearerTokens.read(settings.bearerTokensFile());
            case OAUTH -> {
                JwtVerifier jwt = new JwtVerifier(settings, System::nanoTime);
                jwt.discoverEarly();
                verifier = jwt;
            }
        }
        super.doStart();
    }

    /** What the {@code Authorization} header {@code authorization} (or null) is worth. */
    public AuthResult authenticate(String authorization) {
        TokenVerifier current = verifier;
        if (current == null) {
            throw new IllegalStateException(enabled() ? "authentication is not started" : "authentication is off");
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return new AuthResult.Missing();
        }
        String token = authorization.substring(7).strip();
        if (token.isEmpty() || token.indexOf(' ') >= 0) {
            return new AuthResult.Invalid("malformed Authorization header");
        }
        return current.verify(token);
    }

    /**
     * Lets a request in: true when it may proceed (its {@link Principal} then in {@link #PRINCIPAL_ATTRIBUTE}),
     * false after answering it with 401, 403 or 503. With authentication off every request may proceed.
     */
    public boolean admit(Request request, Response response, Callback callback) {
        if (!enabled()) {
            return true;
        }
        AuthResult result = authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION));
        if (result instanceof AuthResult.Authenticated authenticated) {
            request.setAttribute(PRINCIPAL_ATTRIBUTE, authenticated.principal());
            return true;
        }
        if (result instanceof AuthResult.Missing) {
            refuse(request, response, callback, 401, challenge(null),
                    "Unauthorized: an access token is required (Authorization: Bearer)");
        } else if (result instanceof AuthResult.Invalid invalid) {
            LOG.debug("refused a token: {}", invalid.reason());
            refuse(request, response, callback, 401, challenge("invalid_token"),
                    "Unauthorized: invalid access token: " + invalid.reason());
        } else if (result instanceof AuthResult.InsufficientScope scope) {
            refuse(request, response, callback, 403, challenge("insufficient_scope"),
                    "Forbidden: the access token lacks a required scope: " + String.join(" ", scope.required()));
        } else if (result instanceof AuthResult.Unavailable unavailable) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            JsonRpcPost.rejectUnread(request, response, callback, 503, JsonRpc.PROXY_ERROR,
                    "Service Unavailable: " + unavailable.reason() + "; retry shortly");
        }
        return false;
    }

    /** The principal an admitted request carries; null with authentication off. */
    public static Principal principalOf(Request request) {
        return request.getAttribute(PRINCIPAL_ATTRIBUTE) instanceof Principal principal ? principal : null;
    }

    /**
     * The URL of this resource's Protected Resource Metadata: the audience's origin, the well-known path, then the
     * audience's path (RFC 9728 section 3.1); null unless the mode is {@code oauth}.
     */
    public URI metadataUrl() {
        if (settings.mode() != AuthMode.OAUTH) {
            return null;
        }
        URI audience = settings.audience();
        return URI.create(audience.getScheme().toLowerCase(Locale.ROOT) + "://" + audience.getRawAuthority()
                + METADATA_PATH + resourcePath(audience));
    }

    /** The path of {@code resource} as a well-known suffix: empty for the root. */
    static String resourcePath(URI resource) {
        String path = resource.getRawPath();
        return path == null || path.equals("/") ? "" : path;
    }

    private String challenge(String error) {
        StringBuilder value = new StringBuilder("Bearer");
        String separator = " ";
        if (error != null) {
            value.append(separator).append("error=\"").append(error).append('"');
            separator = ", ";
        }
        if (!settings.requiredScopes().isEmpty()) {
            value.append(separator).append("scope=\"").append(String.join(" ", settings.requiredScopes()))
                    .append('"');
            separator = ", ";
        }
        URI metadata = metadataUrl();
        if (metadata != null) {
            value.append(separator).append("resource_metadata=\"").append(metadata).append('"');
        }
        return value.toString();
    }

    private static void refuse(Request request, Response response, Callback callback, int status, String challenge,
                               String message) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, challenge);
        JsonRpcPost.rejectUnread(request, response, callback, status, JsonRpc.INVALID_REQUEST, message);
    }
}
