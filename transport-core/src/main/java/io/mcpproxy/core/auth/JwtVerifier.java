package io.mcpproxy.core.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.ResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.text.ParseException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JWT access tokens checked as an OAuth resource server: the issuer's metadata is discovered on first need (and
 * again, at most once per retry interval, while it cannot be fetched); its keys are cached, fetched again for an
 * unknown {@code kid} at most twice per refresh interval, and kept in use while the issuer is unreachable.
 */
final class JwtVerifier implements TokenVerifier {

    private static final Logger LOG = LoggerFactory.getLogger(JwtVerifier.class);
    private static final int MAX_DOCUMENT_BYTES = 512 * 1024;

    private final AuthSettings settings;
    private final ResourceRetriever retriever;
    private final LongSupplier nanoClock;
    private final long retryNanos;
    private final Object lock = new Object(); // guards discovery: one attempt at a time, spaced by retryNanos
    private volatile DefaultJWTProcessor<SecurityContext> processor; // null until discovery succeeded
    private long nextAttemptNanos; // guarded by lock
    private boolean attempted; // guarded by lock

    JwtVerifier(AuthSettings settings, LongSupplier nanoClock) {
        this.settings = settings;
        int timeout = (int) settings.fetchTimeout().toMillis();
        this.retriever = new DefaultResourceRetriever(timeout, timeout, MAX_DOCUMENT_BYTES);
        this.nanoClock = nanoClock;
        Duration retry = settings.jwksRefreshInterval().compareTo(Duration.ofSeconds(10)) < 0
                ? settings.jwksRefreshInterval() : Duration.ofSeconds(10);
        this.retryNanos = retry.toNanos();
    }

    @Override
    public AuthResult verify(String token) {
        DefaultJWTProcessor<SecurityContext> jwt = processor();
        if (jwt == null) {
            return new AuthResult.Unavailable("the authorization server's metadata cannot be fetched");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.process(token, null);
        } catch (ParseException e) {
            return new AuthResult.Invalid("malformed token");
        } catch (RateLimitReachedException e) {
            // The keys were fetched again moments ago and have no such kid: not the issuer's key
            return new AuthResult.Invalid("no published key matches the token");
        } catch (KeySourceException e) {
            LOG.warn("cannot fetch the issuer's signing keys: {}", e.getMessage());
            return new AuthResult.Unavailable("the authorization server's signing keys cannot be fetched");
        } catch (BadJOSEException | JOSEException e) {
            return new AuthResult.Invalid(e.getMessage());
        }
        String subject = claims.getSubject() != null ? claims.getSubject() : claims.getJWTID();
        if (subject == null) {
            return new AuthResult.Invalid("the token names neither a subject nor an id");
        }
        Set<String> scopes = scopes(claims);
        if (!scopes.containsAll(settings.requiredScopes())) {
            return new AuthResult.InsufficientScope(settings.requiredScopes());
        }
        return new AuthResult.Authenticated(new Principal(claims.getIssuer(), subject, scopes));
    }

    /** Discovers the issuer now (at start), so that the first request does not wait for it; failures are logged. */
    void discoverEarly() {
        processor();
    }

    private DefaultJWTProcessor<SecurityContext> processor() {
        DefaultJWTProcessor<SecurityContext> current = processor;
        if (current != null) {
            return current;
        }
        synchronized (lock) {
            long now = nanoClock.getAsLong();
            if (processor != null || attempted && now - nextAttemptNanos < 0) {
                return processor;
            }
            attempted = true;
            nextAttemptNanos = now + retryNanos;
            try {
                IssuerMetadata metadata = IssuerMetadata.discover(settings.issuer(), retriever);
                processor = newProcessor(metadata);
            } catch (IOException e) {
                LOG.warn("cannot discover the metadata of OAuth issuer {}: {}", settings.issuer(), e.getMessage());
            }
            return processor;
        }
    }

    private DefaultJWTProcessor<SecurityContext> newProcessor(IssuerMetadata metadata) throws IOException {
        long ttl = settings.jwksCacheTtl().toMillis();
        JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(metadata.jwksUrl(), retriever)
                .cache(ttl, 2 * settings.fetchTimeout().toMillis())
                .rateLimited(settings.jwksRefreshInterval().toMillis())
                .outageTolerant(ttl)
                .build();
        Set<JWSAlgorithm> algorithms = settings.allowedAlgorithms().stream().map(JWSAlgorithm::parse)
                .collect(Collectors.toUnmodifiableSet());
        DefaultJWTProcessor<SecurityContext> jwt = new DefaultJWTProcessor<>();
        // RFC 9068 access tokens say at+jwt; many issuers still say JWT or nothing
        jwt.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, new JOSEObjectType("at+jwt"),
                null));
        jwt.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                Set.of(settings.audience().toString()),
                new JWTClaimsSet.Builder().issuer(settings.issuer().toString()).build(), Set.of("exp"), null);
        claims.setMaxClockSkew((int) settings.clockSkew().toSeconds());
        jwt.setJWTClaimsSetVerifier(claims);
        return jwt;
    }

    /** The scopes a token grants: {@code scope} (space-separated, RFC 9068) or {@code scp} (a list or a string). */
    static Set<String> scopes(JWTClaimsSet claims) {
        Object value = claims.getClaim("scope");
        if (value == null) {
            value = claims.getClaim("scp");
        }
        Set<String> scopes = new HashSet<>();
        if (value instanceof String text) {
            scopes.addAll(List.of(text.trim().split("\\s+")));
        } else if (value instanceof Collection<?> list) {
            list.forEach(scope -> scopes.add(String.valueOf(scope)));
        }
        scopes.remove("");
        return scopes;
    }
}
