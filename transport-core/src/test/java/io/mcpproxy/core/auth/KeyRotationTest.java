package io.mcpproxy.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An issuer at a root URI (RFC 8414 discovery) that rotates its signing key: a token under the new key is accepted
 * once the keys may be fetched again, and a flood of unknown kids does not make the proxy fetch them every time
 * (at most twice per refresh interval).
 */
class KeyRotationTest {

    private static final String AUDIENCE = "https://mcp.example.test/mcp";

    private final Server server = new Server();
    private final AtomicInteger jwksFetches = new AtomicInteger();
    private volatile JWKSet published;
    private URI issuer;
    private Authentication authentication;

    @BeforeEach
    void startIssuer() throws Exception {
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String path = Request.getPathInContext(request);
                String body;
                if (path.equals("/.well-known/oauth-authorization-server")) {
                    body = "{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + issuer + "/jwks\"}";
                } else if (path.equals("/jwks")) {
                    jwksFetches.incrementAndGet();
                    body = published.toString(); // public keys only
                } else {
                    return false;
                }
                response.getHeaders().put("Content-Type", "application/json");
                response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        server.start();
        issuer = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    @AfterEach
    void stop() throws Exception {
        if (authentication != null) {
            authentication.stop();
        }
        server.stop();
    }

    private String token(RSAKey key) throws Exception {
        Instant now = Instant.now();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                new JWTClaimsSet.Builder().issuer(issuer.toString()).subject("alice").audience(AUDIENCE)
                        .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600))).build());
        jwt.sign(new RSASSASigner(key));
        return "Bearer " + jwt.serialize();
    }

    @Test
    void aRotatedKeyIsFetchedOnItsFirstTokenAfterTheRefreshInterval() throws Exception {
        RSAKey first = new RSAKeyGenerator(2048).keyID("first").generate();
        RSAKey second = new RSAKeyGenerator(2048).keyID("second").generate();
        String unpublished = token(new RSAKeyGenerator(2048).keyID("unpublished").generate());
        published = new JWKSet(first);
        authentication = new Authentication(AuthSettings.oauth(issuer, URI.create(AUDIENCE))
                .withJwksTiming(Duration.ofSeconds(1), Duration.ofMinutes(5)));
        authentication.start();
        assertInstanceOf(AuthResult.Authenticated.class, authentication.authenticate(token(first)));
        assertEquals(1, jwksFetches.get());

        published = new JWKSet(second);
        Thread.sleep(1_200);

        assertInstanceOf(AuthResult.Authenticated.class, authentication.authenticate(token(second)));
        assertEquals(2, jwksFetches.get());
        for (int i = 0; i < 5; i++) {
            assertInstanceOf(AuthResult.Invalid.class, authentication.authenticate(unpublished));
        }
        // nimbus's rate limit lets two fetches through per interval: the rotation's, and one more
        assertEquals(3, jwksFetches.get(), "five unknown kids within the refresh interval fetch once");
    }
}
