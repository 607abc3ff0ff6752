package io.mcpproxy.core.auth;

import java.util.Set;

/** What {@link Authentication#authenticate} found; failures are values, not exceptions. */
public sealed interface AuthResult {

    /** The token is valid and grants the required scopes. */
    record Authenticated(Principal principal) implements AuthResult {
    }

    /** No {@code Authorization: Bearer} header: 401 without an error code. */
    record Missing() implements AuthResult {
    }

    /** A token that is malformed, expired, for someone else, or not signed by the issuer: 401 {@code invalid_token}. */
    record Invalid(String reason) implements AuthResult {
    }

    /** A valid token without every required scope: 403 {@code insufficient_scope}. */
    record InsufficientScope(Set<String> required) implements AuthResult {
    }

    /** The token cannot be checked now (the issuer's keys cannot be fetched): 503, the client retries. */
    record Unavailable(String reason) implements AuthResult {
    }
}
