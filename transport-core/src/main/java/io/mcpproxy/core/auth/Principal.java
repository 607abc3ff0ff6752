package io.mcpproxy.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;

/**
 * Who sent a request, as its access token says.
 *
 * @param issuer  the token's issuer ({@code bearer} for static tokens)
 * @param subject the token's subject, or its id when it has none; the entry's name for static tokens
 * @param scopes  the scopes the token grants
 */
public record Principal(String issuer, String subject, Set<String> scopes) {

    public Principal {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(subject, "subject");
        scopes = Set.copyOf(scopes);
    }

    /**
     * The SHA-256 of issuer and subject (hex): what a session records of the principal that created it, so that the
     * shared storage holds no names.
     */
    public String digest() {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(issuer.getBytes(StandardCharsets.UTF_8));
            sha256.update((byte) 0);
            sha256.update(subject.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha256.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
