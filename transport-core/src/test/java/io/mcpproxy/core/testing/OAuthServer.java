package io.mcpproxy.core.testing;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;

/**
 * A real OAuth 2.0 / OpenID Connect server for the tests ({@code mock-oauth2-server}), on a free loopback port in
 * this process: it publishes discovery metadata and a JWKS, and issues signed access tokens.
 */
public final class OAuthServer implements AutoCloseable {

    /** The issuer id tokens come from unless a test names another. */
    public static final String ISSUER_ID = "default";

    private static final Duration WARM_UP_TIMEOUT = Duration.ofSeconds(60);

    private final MockOAuth2Server server = new MockOAuth2Server();

    public OAuthServer() {
        server.start(InetAddress.getLoopbackAddress(), 0);
        warmUp();
    }

    /**
     * Fetches the default issuer's metadata and keys once, unhurried: the server makes its signing key and loads its
     * classes on the first request, which on a loaded machine outlasts a proxy's fetch timeout and fails a test
     * that is not about timeouts.
     */
    private void warmUp() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(WARM_UP_TIMEOUT).build();
        try {
            for (URI uri : List.of(URI.create(server.wellKnownUrl(ISSUER_ID).toString()), jwks())) {
                http.send(HttpRequest.newBuilder(uri).timeout(WARM_UP_TIMEOUT).build(),
                        HttpResponse.BodyHandlers.discarding());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the OAuth server did not answer its warm-up", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while warming up the OAuth server", e);
        }
    }

    /** The issuer URI of {@code issuerId}. */
    public URI issuer(String issuerId) {
        return URI.create(server.issuerUrl(issuerId).toString());
    }

    public URI issuer() {
        return issuer(ISSUER_ID);
    }

    /** A token of {@code issuerId} for {@code subject} and {@code audience}, with extra claims, valid for seconds. */
    public String token(String issuerId, String subject, String audience, Map<String, Object> claims,
                        long expirySeconds) {
        return server.issueToken(issuerId, "test-client", new DefaultOAuth2TokenCallback(issuerId, subject, "JWT",
                List.of(audience), claims, expirySeconds)).serialize();
    }

    /** A token of the default issuer for {@code subject} and {@code audience}, valid for an hour. */
    public String token(String subject, String audience) {
        return token(ISSUER_ID, subject, audience, Map.of(), 3600);
    }

    /**
     * A token with every claim right but signed by a key the issuer never published, under {@code kid}: what a
     * client presents right after the issuer rotated its keys, or a forger.
     */
    public String tokenSignedElsewhere(String kid, String subject, String audience) throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID(kid).generate();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid)
                .type(JOSEObjectType.JWT).build(), claims(subject, audience).build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    /** Claims that would be valid for the default issuer. */
    public JWTClaimsSet.Builder claims(String subject, String audience) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(issuer().toString()).subject(subject).audience(audience)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(3600)));
    }

    /** The JWKS URL of the default issuer. */
    public URI jwks() {
        return URI.create(server.jwksUrl(ISSUER_ID).toString());
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
