package io.mcpproxy.core.auth;

/** Checks a presented access token; one implementation per {@link AuthMode}. */
interface TokenVerifier {

    /** What {@code token} (the part after {@code Bearer }) is worth; never throws for a bad token. */
    AuthResult verify(String token);
}
