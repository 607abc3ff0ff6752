package io.mcpproxy.core.auth;

import io.mcpproxy.core.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * How a proxy authenticates its clients. Each option's default, unit and valid range are declared here once; the
 * builders and the runner's flags set them through this record.
 *
 * @param mode                {@link AuthMode#NONE}, {@link AuthMode#BEARER} or {@link AuthMode#OAUTH}. Default none
 * @param bearerTokensFile    {@code bearer}: a file of lines {@code <name> sha256:<hex>} ({@code #} comments and blank
 *                            lines allowed), read at start. Required for {@code bearer}
 * @param issuer              {@code oauth}: the authorization server's issuer URI; its metadata is found through
 *                            RFC 8414 or OpenID discovery and must name the same issuer. Required for {@code oauth}
 * @param audience            {@code oauth}: this server's canonical URI (RFC 8707 resource indicator), e.g.
 *                            {@code https://mcp.example.com/mcp}; a token's {@code aud} must contain it, and it is the
 *                            {@code resource} of the Protected Resource Metadata. Required for {@code oauth}
 * @param requiredScopes      {@code oauth}: scopes every token must grant (from {@code scope} or {@code scp}), 403
 *                            otherwise. Default none
 * @param allowedAlgorithms   {@code oauth}: JWS algorithms accepted; asymmetric ones only (never {@code none}, never
 *                            an HMAC). Default RS256, RS384, RS512, PS256, ES256, ES384
 * @param clockSkew           {@code oauth}: tolerance on {@code exp} and {@code nbf}, 0 to 10 min. Default 60 s
 * @param jwksRefreshInterval {@code oauth}: the issuer's keys are fetched again for an unknown {@code kid} at most
 *                            twice per this interval, at least 1 s. Default 5 min
 * @param jwksCacheTtl        {@code oauth}: how long fetched keys are used before they are fetched again, longer
 *                            than the refresh interval; while the issuer is unreachable the cached keys stay in use.
 *                            Default 15 min
 * @param fetchTimeout        {@code oauth}: connect and read timeout of each metadata and key fetch, 100 ms to
 *                            1 min. Default 5 s
 */
public record AuthSettings(AuthMode mode, Path bearerTokensFile, URI issuer, URI audience, Set<String> requiredScopes,
                           Set<String> allowedAlgorithms, Duration clockSkew, Duration jwksRefreshInterval,
                           Duration jwksCacheTtl, Duration fetchTimeout) {

    /** The algorithms accepted by default. */
    public static final Set<String> DEFAULT_ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "ES256", "ES384");

    private static final Set<String> ASYMMETRIC = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES256K", "ES384", "ES512", "EdDSA", "Ed25519");

    /** No authentication, every other option at its default. */
    public static final AuthSettings NONE = new AuthSettings(AuthMode.NONE, null, null, null, Set.of(),
            DEFAULT_ALGORITHMS, Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofMinutes(15),
            Duration.ofSeconds(5));

    public AuthSettings {
        Objects.requireNonNull(mode, "mode");
        requiredScopes = Set.copyOf(new LinkedHashSet<>(Objects.requireNonNull(requiredScopes, "requiredScopes")));
        allowedAlgorithms = Set.copyOf(Objects.requireNonNull(allowedAlgorithms, "allowedAlgorithms"));
        for (String alg : allowedAlgorithms) {
            if (!ASYMMETRIC.contains(alg)) {
                throw new IllegalArgumentException("allowedAlgorithms may only name asymmetric JWS algorithms, got "
                        + alg);
            }
        }
        if (allowedAlgorithms.isEmpty()) {
            throw new IllegalArgumentException("allowedAlgorithms must name at least one algorithm");
        }
        Settings.requireAtLeast(clockSkew, Duration.ZERO, "clockSkew");
        if (clockSkew.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("clockSkew must be at most 10 min, got " + clockSkew);
        }
        Settings.requireAtLeast(jwksRefreshInterval, Duration.ofSeconds(1), "jwksRefreshInterval");
        if (Objects.requireNonNull(jwksCacheTtl, "jwksCacheTtl").compareTo(jwksRefreshInterval) <= 0) {
            throw new IllegalArgumentException("jwksCacheTtl must be longer than jwksRefreshInterval ("
                    + jwksRefreshInterval + "), got " + jwksCacheTtl);
        }
        Settings.requireAtLeast(fetchTimeout, Duration.ofMillis(100), "fetchTimeout");
        if (fetchTimeout.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("fetchTimeout must be at most 1 min, got " + fetchTimeout);
        }
        if (mode == AuthMode.BEARER && bearerTokensFile == null) {
            throw new IllegalArgumentException("auth mode bearer needs a bearer tokens file");
        }
        if (mode == AuthMode.OAUTH) {
            requireHttpUri(issuer, "oauth issuer");
            requireHttpUri(audience, "oauth audience");
        }
        if (audience != null && audience.getFragment() != null) {
            throw new IllegalArgumentException("oauth audience must not have a fragment, got " + audience);
        }
    }

    /** No authentication, said explicitly (a proxy on a non-loopback address needs that said). */
    public static AuthSettings none() {
        return NONE;
    }

    /** Static tokens from {@code tokensFile}. */
    public static AuthSettings bearer(Path tokensFile) {
        return NONE.withBearerTokensFile(tokensFile).withMode(AuthMode.BEARER);
    }

    /** JWT access tokens of {@code issuer} for {@code audience}. */
    public static AuthSettings oauth(URI issuer, URI audience) {
        return new AuthSettings(AuthMode.OAUTH, null, issuer, audience, Set.of(), DEFAULT_ALGORITHMS,
                NONE.clockSkew, NONE.jwksRefreshInterval, NONE.jwksCacheTtl, NONE.fetchTimeout);
    }

    /** Whether requests must carry a valid token. */
    public boolean enabled() {
        return mode != AuthMode.NONE;
    }

    public AuthSettings withMode(AuthMode mode) {
        return new AuthSettings(mode, bearerTokensFile, issuer, audience, requiredScopes, allowedAlgorithms,
                clockSkew, jwksRefreshInterval, jwksCacheTtl, fetchTimeout);
    }

    public AuthSettings withBearerTokensFile(Path file) {
        return new AuthSettings(mode, file, issuer, audience, requiredScopes, allowedAlgorithms, clockSkew,
                jwksRefreshInterval, jwksCacheTtl, fetchTimeout);
    }

    /** These settings with {@code scopes} added to the required ones. */
    public AuthSettings withRequiredScopes(Collection<String> scopes) {
        return new AuthSettings(mode, bearerTokensFile, issuer, audience, Settings.union(requiredScopes, scopes),
                allowedAlgorithms, clockSkew, jwksRefreshInterval, jwksCacheTtl, fetchTimeout);
    }

    public AuthSettings withAllowedAlgorithms(Set<String> algorithms) {
        return new AuthSettings(mode, bearerTokensFile, issuer, audience, requiredScopes, algorithms, clockSkew,
                jwksRefreshInterval, jwksCacheTtl, fetchTimeout);
    }

    public AuthSettings withClockSkew(Duration skew) {
        return new AuthSettings(mode, bearerTokensFile, issuer, audience, requiredScopes, allowedAlgorithms, skew,
                jwksRefreshInterval, jwksCacheTtl, fetchTimeout);
    }

    /** The key fetch intervals: at most one refresh per {@code refreshInterval}, keys kept for {@code cacheTtl}. */
    public AuthSettings withJwksTiming(Duration refreshInterval, Duration cacheTtl) {
        return new AuthSettings(mode, bearerTokensFile, issuer, audience, requiredScopes, allowedAlgorithms,
                clockSkew, refreshInterval, cacheTtl, fetchTimeout);
    }

    public AuthSettings withFetchTimeout(Duration timeout) {
        return new AuthSettings(mode, bearerTokensFile, issuer, audience, requiredScopes, allowedAlgorithms,
                clockSkew, jwksRefreshInterval, jwksCacheTtl, timeout);
    }

    private static void requireHttpUri(URI uri, String option) {
        if (uri == null) {
            throw new IllegalArgumentException("auth mode oauth needs an " + option);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) {
            throw new IllegalArgumentException(option + " must be an absolute http(s) URI, got " + uri);
        }
    }
}
