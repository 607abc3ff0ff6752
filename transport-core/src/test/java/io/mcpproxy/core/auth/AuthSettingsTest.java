package io.mcpproxy.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class AuthSettingsTest {

    private static final URI ISSUER = URI.create("https://auth.example.com");
    private static final URI AUDIENCE = URI.create("https://mcp.example.com/mcp");

    private static void refused(String message, Executable change) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, change).getMessage());
    }

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        AuthSettings defaults = AuthSettings.NONE;
        assertFalse(defaults.enabled());
        assertEquals(Set.of("RS256", "RS384", "RS512", "PS256", "ES256", "ES384"), defaults.allowedAlgorithms());
        assertEquals(Duration.ofSeconds(60), defaults.clockSkew());
        assertEquals(Duration.ofMinutes(5), defaults.jwksRefreshInterval());
        assertEquals(Duration.ofMinutes(15), defaults.jwksCacheTtl());
        assertEquals(Duration.ofSeconds(5), defaults.fetchTimeout());
        assertTrue(AuthSettings.oauth(ISSUER, AUDIENCE).enabled());
    }

    @Test
    void noneAndHmacAlgorithmsAreNeverAccepted() {
        AuthSettings oauth = AuthSettings.oauth(ISSUER, AUDIENCE);
        refused("allowedAlgorithms may only name asymmetric JWS algorithms, got HS256",
                () -> oauth.withAllowedAlgorithms(Set.of("RS256", "HS256")));
        refused("allowedAlgorithms may only name asymmetric JWS algorithms, got none",
                () -> oauth.withAllowedAlgorithms(Set.of("none")));
        refused("allowedAlgorithms must name at least one algorithm", () -> oauth.withAllowedAlgorithms(Set.of()));
    }

    @Test
    void eachModeNeedsItsOptions() {
        refused("auth mode oauth needs an oauth issuer", () -> AuthSettings.oauth(null, AUDIENCE));
        refused("oauth audience must be an absolute http(s) URI, got mcp", () -> AuthSettings.oauth(ISSUER,
                URI.create("mcp")));
        refused("auth mode bearer needs a bearer tokens file", () -> AuthSettings.NONE.withMode(AuthMode.BEARER));
        assertEquals(Path.of("tokens"), AuthSettings.bearer(Path.of("tokens")).bearerTokensFile());
    }

    @Test
    void timingsAreBounded() {
        AuthSettings oauth = AuthSettings.oauth(ISSUER, AUDIENCE);
        refused("clockSkew must be at most 10 min, got PT11M", () -> oauth.withClockSkew(Duration.ofMinutes(11)));
        refused("jwksCacheTtl must be longer than jwksRefreshInterval (PT1M), got PT1M",
                () -> oauth.withJwksTiming(Duration.ofMinutes(1), Duration.ofMinutes(1)));
        assertEquals(Set.of("mcp:read", "mcp:write"),
                oauth.withRequiredScopes(Set.of("mcp:read")).withRequiredScopes(Set.of("mcp:write"))
                        .requiredScopes());
    }
}
