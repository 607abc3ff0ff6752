package io.mcpproxy.core.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Static tokens from a file of lines {@code <name> sha256:<hex>}: the presented token's SHA-256 is compared with
 * every entry in constant time, so neither a match's position nor a near miss shows in the answer's timing.
 */
final class BearerTokens implements TokenVerifier {

    /** The issuer of the principals these tokens name. */
    static final String ISSUER = "bearer";

    private record Entry(String name, byte[] hash) {
    }

    private final List<Entry> entries;

    private BearerTokens(List<Entry> entries) {
        this.entries = entries;
    }

    /** Reads {@code file}; a malformed line is refused with its number. */
    static BearerTokens read(Path file) {
        try {
            return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bearer tokens file " + file, e);
        }
    }

    static BearerTokens parse(List<String> lines, String source) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2 || !parts[1].toLowerCase(Locale.ROOT).startsWith("sha256:")) {
                throw new IllegalArgumentException(source + " line " + (i + 1)
                        + ": expected '<name> sha256:<64 hex digits>'");
            }
            byte[] hash;
            try {
                hash = HexFormat.of().parseHex(parts[1].substring("sha256:".length()));
            } catch (IllegalArgumentException e) {
                hash = new byte[0];
            }
            if (hash.length != 32) {
                throw new IllegalArgumentException(source + " line " + (i + 1)
                        + ": the hash must be 64 hex digits (printf %s \"$TOKEN\" | sha256sum)");
            }
            entries.add(new Entry(parts[0], hash));
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(source + " names no token");
        }
        return new BearerTokens(List.copyOf(entries));
    }

    @Override
    public AuthResult verify(String token) {
        byte[] presented = sha256(token);
        String match = null;
        for (Entry entry : entries) { // every entry, whether one matched already or not
            if (MessageDigest.isEqual(entry.hash(), presented)) {
                match = entry.name();
            }
        }
        return match == null ? new AuthResult.Invalid("unknown token")
                : new AuthResult.Authenticated(new Principal(ISSUER, match, Set.of()));
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
