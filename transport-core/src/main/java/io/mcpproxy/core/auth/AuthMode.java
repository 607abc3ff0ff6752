package io.mcpproxy.core.auth;

/** How a proxy authenticates its clients. */
public enum AuthMode {
    /** Every request is let in (after the Origin and Host checks). */
    NONE,
    /** Static bearer tokens from a file, compared by their SHA-256 hash. */
    BEARER,
    /** JWT access tokens checked as an OAuth 2.1 resource server against an issuer's published keys. */
    OAUTH
}
