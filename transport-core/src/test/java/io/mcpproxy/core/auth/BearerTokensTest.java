package io.mcpproxy.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class BearerTokensTest {

    static String sha256(String token) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(token.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aTokenWhoseHashIsListedNamesItsEntry() throws Exception {
        BearerTokens tokens = BearerTokens.parse(List.of("# deploy bots", "", "alice " + sha256("secret-a"),
                "  bob   " + sha256("secret-b").toUpperCase().replace("SHA256:", "sha256:")), "tokens");

        AuthResult bob = tokens.verify("secret-b");

        Principal principal = assertInstanceOf(AuthResult.Authenticated.class, bob).principal();
        assertEquals(new Principal("bearer", "bob", java.util.Set.of()), principal);
        assertInstanceOf(AuthResult.Invalid.class, tokens.verify("secret-c"));
        assertInstanceOf(AuthResult.Invalid.class, tokens.verify("sha256:" + sha256("secret-a")));
    }

    @Test
    void aMalformedLineIsRefusedWithItsNumber() {
        assertEquals("tokens line 2: expected '<name> sha256:<64 hex digits>'",
                assertThrows(IllegalArgumentException.class,
                        () -> BearerTokens.parse(List.of("# ok", "alice plain-token"), "tokens")).getMessage());
        assertEquals("tokens line 1: the hash must be 64 hex digits (printf %s \"$TOKEN\" | sha256sum)",
                assertThrows(IllegalArgumentException.class,
                        () -> BearerTokens.parse(List.of("alice sha256:abcd"), "tokens")).getMessage());
        assertEquals("tokens names no token", assertThrows(IllegalArgumentException.class,
                () -> BearerTokens.parse(List.of("# none"), "tokens")).getMessage());
    }

    @Test
    void principalsOfDifferentIssuersOrSubjectsHaveDifferentDigests() {
        String digest = new Principal("https://issuer", "alice", java.util.Set.of("read")).digest();

        assertEquals(64, digest.length());
        assertEquals(digest, new Principal("https://issuer", "alice", java.util.Set.of()).digest());
        assertEquals(false, digest.equals(new Principal("https://issuer", "bob", java.util.Set.of()).digest()));
        assertEquals(false, new Principal("a", "bc", java.util.Set.of()).digest()
                .equals(new Principal("ab", "c", java.util.Set.of()).digest()));
    }
}
