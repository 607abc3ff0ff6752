package io.mcpproxy.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.mcpproxy.core.testing.OAuthServer;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Access tokens of a real OAuth server running in the test, checked as a resource server. */
class AuthenticationTest {

    private static final String AUDIENCE = "http://127.0.0.1:9/mcp";

    private final OAuthServer oauth = new OAuthServer();
    private Authentication authentication;

    @AfterEach
    void stop() throws Exception {
        if (authentication != null) {
            authentication.stop();
        }
        oauth.close();
    }

    private Authentication start(AuthSettings settings) throws Exception {
        authentication = new Authentication(settings);
        authentication.start();
        return authentication;
    }

    private Authentication start() throws Exception {
        return start(AuthSettings.oauth(oauth.issuer(), URI.create(AUDIENCE))
                .withJwksTiming(Duration.ofSeconds(1), Duration.ofMinutes(5)));
    }

    private AuthResult bearer(String token) {
        return authentication.authenticate("Bearer " + token);
    }

    @Test
    void aValidTokenNamesItsIssuerSubjectAndScopes() throws Exception {
        start();

        AuthResult result = bearer(oauth.token(OAuthServer.ISSUER_ID, "alice", AUDIENCE,
                Map.of("scope", "mcp:read mcp:write"), 3600));

        Principal principal = assertInstanceOf(AuthResult.Authenticated.class, result).principal();
        assertEquals(new Principal(oauth.issuer().toString(), "alice", Set.of("mcp:read", "mcp:write")), principal);
    }

    @Test
    void anExpiredTokenIsInvalid() throws Exception {
        start(AuthSettings.oauth(oauth.issuer(), URI.create(AUDIENCE)).withClockSkew(Duration.ZERO));
        String token = oauth.token(OAuthServer.ISSUER_ID, "alice", AUDIENCE, Map.of(), 1);
        Thread.sleep(2_100);

        assertEquals(new AuthResult.Invalid("Expired JWT"), bearer(token));
    }

    @Test
    void aTokenForAnotherAudienceIsInvalid() throws Exception {
        start();

        AuthResult result = bearer(oauth.token("alice", "http://127.0.0.1:9/other"));

        assertTrue(assertInstanceOf(AuthResult.Invalid.class, result).reason().contains("aud"), result::toString);
    }

    @Test
    void aTokenOfAnotherIssuerIsInvalid() throws Exception {
        start();

        AuthResult result = bearer(oauth.token("elsewhere", "alice", AUDIENCE, Map.of(), 3600));

        assertInstanceOf(AuthResult.Invalid.class, result);
    }

    @Test
    void aTokenSignedWithAnUnpublishedKeyIsInvalidAfterOneRefetch() throws Exception {
        start();
        assertInstanceOf(AuthResult.Authenticated.class, bearer(oauth.token("alice", AUDIENCE)));

        AuthResult forged = bearer(oauth.tokenSignedElsewhere("rotated-key", "alice", AUDIENCE));
        AuthResult again = bearer(oauth.tokenSignedElsewhere("rotated-key", "alice", AUDIENCE)); // refetch limited

        assertInstanceOf(AuthResult.Invalid.class, forged);
        assertInstanceOf(AuthResult.Invalid.class, again);
        assertInstanceOf(AuthResult.Authenticated.class, bearer(oauth.token("alice", AUDIENCE)));
    }

    @Test
    void anUnsignedTokenIsInvalid() throws Exception {
        start();

        AuthResult result = bearer(new PlainJWT(oauth.claims("alice", AUDIENCE).build()).serialize());

        assertInstanceOf(AuthResult.Invalid.class, result);
    }

    @Test
    void anHmacTokenKeyedWithThePublicKeyIsInvalid() throws Exception {
        start();
        RSAKey published = (RSAKey) JWKSet.load(new URL(oauth.jwks().toString())).getKeys().get(0);
        SignedJWT confused = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(published.getKeyID())
                .build(), oauth.claims("alice", AUDIENCE).build());
        confused.sign(new MACSigner(published.toRSAPublicKey().getEncoded()));

        assertInstanceOf(AuthResult.Invalid.class, bearer(confused.serialize()));
    }

    @Test
    void aMissingOrMalformedHeaderIsToldApart() throws Exception {
        start();

        assertEquals(new AuthResult.Missing(), authentication.authenticate(null));
        assertEquals(new AuthResult.Missing(), authentication.authenticate("Basic YWxpY2U6c2VjcmV0"));
        assertEquals(new AuthResult.Invalid("malformed Authorization header"), authentication.authenticate("Bearer "));
        assertEquals(new AuthResult.Invalid("malformed Authorization header"),
                authentication.authenticate("Bearer two tokens"));
        assertEquals(new AuthResult.Invalid("malformed token"), bearer("not-a-jwt"));
    }

    @Test
    void aTokenWithoutARequiredScopeIsForbidden() throws Exception {
        start(AuthSettings.oauth(oauth.issuer(), URI.create(AUDIENCE)).withRequiredScopes(List.of("mcp:write")));

        AuthResult readOnly = bearer(oauth.token(OAuthServer.ISSUER_ID, "alice", AUDIENCE,
                Map.of("scope", "mcp:read"), 3600));
        AuthResult listed = bearer(oauth.token(OAuthServer.ISSUER_ID, "alice", AUDIENCE,
                Map.of("scp", List.of("mcp:read", "mcp:write")), 3600));

        assertEquals(new AuthResult.InsufficientScope(Set.of("mcp:write")), readOnly);
        assertInstanceOf(AuthResult.Authenticated.class, listed);
    }

    @Test
    void cachedKeysKeepWorkingWhileTheIssuerIsDown() throws Exception {
        start();
        String token = oauth.token("alice", AUDIENCE);
        assertInstanceOf(AuthResult.Authenticated.class, bearer(token));

        oauth.close();

        assertInstanceOf(AuthResult.Authenticated.class, bearer(token));
        assertInstanceOf(AuthResult.Authenticated.class, bearer(token));
    }

    @Test
    void withoutCachedKeysAnUnreachableIssuerMakesTokensUncheckable() throws Exception {
        String token = oauth.token("alice", AUDIENCE);
        URI issuer = oauth.issuer();
        oauth.close();
        start(AuthSettings.oauth(issuer, URI.create(AUDIENCE)).withFetchTimeout(Duration.ofMillis(500)));

        assertInstanceOf(AuthResult.Unavailable.class, bearer(token));
    }

    @Test
    void discoveryTriesRfc8414ThenOpenIdWithPathInsertionThenAppended() {
        assertEquals(List.of(URI.create("https://a.example/.well-known/oauth-authorization-server/tenant"),
                        URI.create("https://a.example/.well-known/openid-configuration/tenant"),
                        URI.create("https://a.example/tenant/.well-known/openid-configuration")),
                IssuerMetadata.candidates(URI.create("https://a.example/tenant")));
        assertEquals(List.of(URI.create("https://a.example/.well-known/oauth-authorization-server"),
                        URI.create("https://a.example/.well-known/openid-configuration")),
                IssuerMetadata.candidates(URI.create("https://a.example")));
    }
}
