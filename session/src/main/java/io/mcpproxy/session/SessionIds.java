package io.mcpproxy.session;

import java.security.SecureRandom;
import java.util.Base64;

/** Minting and checking session ids (MCP: globally unique, cryptographically secure, visible ASCII only). */
public final class SessionIds {

    /** 192 random bits, well above the 122 of a random UUID; 32 characters of base64url. */
    private static final int RANDOM_BYTES = 24;
    /**
     * The longest id tracked. Ids we mint are 32 characters, but the transparent proxy learns the ids its upstreams
     * issue, and MCP suggests a JWT as one: those run to a few hundred or thousand characters. Jetty bounds a whole
     * request header block at 8 KiB anyway.
     */
    static final int MAX_LENGTH = 4096;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private SessionIds() {
    }

    static String mint() {
        byte[] bytes = new byte[RANDOM_BYTES];
        RANDOM.nextBytes(bytes);
        return ENCODER.encodeToString(bytes);
    }

    /** Visible ASCII (0x21-0x7E), 1 to 4096 characters: anything else can never name one of our sessions. */
    static boolean isValid(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                return false;
            }
        }
        return true;
    }

    /**
     * Enough of a session id to correlate log lines, not enough to hijack the session: its first six characters,
     * followed by {@code ...}, or {@code ****} for an id of eight characters or fewer. ASCII only: a log line that
     * carries it stays one byte per character all the way to its encoding.
     */
    public static String redact(String id) {
        return id.length() <= 8 ? "****" : id.substring(0, 6) + "...";
    }
}
