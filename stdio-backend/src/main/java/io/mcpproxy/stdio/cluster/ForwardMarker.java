package io.mcpproxy.stdio.cluster;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.eclipse.jetty.server.Request;

/**
 * The header that marks a request one replica forwarded to another: its value is derived from the cluster secret
 * (an HMAC, so the secret itself never crosses the network), and the receiving replica compares it in constant time.
 * A request that carries the header without the right value is forged: 403. A request forwarded once is never
 * forwarded again.
 */
public final class ForwardMarker {

    /** The header's name. */
    public static final String HEADER = "Mcp-Proxy-Forwarded";

    /** What a request's header says. */
    public enum Verdict {
        /** No header: a client's own request. */
        NOT_FORWARDED,
        /** The header with the cluster's token: forwarded by a replica of this cluster. */
        FORWARDED,
        /** The header with anything else, or on a replica that trusts no cluster: refused with 403. */
        FORGED
    }

    private final byte[] token; // null: this replica trusts no forwarded request

    private ForwardMarker(byte[] token) {
        this.token = token;
    }

    /** The marker of a cluster with {@code secret}; null: a replica that forwards nothing and trusts no marker. */
    public static ForwardMarker of(String secret) {
        return new ForwardMarker(secret == null ? null : token(secret));
    }

    /** The header value a forwarded request carries. */
    public String value() {
        if (token == null) {
            throw new IllegalStateException("no cluster secret: this replica forwards nothing");
        }
        return new String(token, StandardCharsets.US_ASCII);
    }

    /** What {@code request}'s header says. */
    public Verdict check(Request request) {
        String value = request.getHeaders().get(HEADER);
        if (value == null) {
            return Verdict.NOT_FORWARDED;
        }
        return token != null && MessageDigest.isEqual(token, value.getBytes(StandardCharsets.US_ASCII))
                ? Verdict.FORWARDED : Verdict.FORGED;
    }

    private static byte[] token(String secret) {
        byte[] digest = derive(secret, "mcp-proxy forwarded request");
        return HexFormat.of().formatHex(digest).getBytes(StandardCharsets.US_ASCII);
    }

    /** HMAC-SHA256 of {@code purpose} under {@code secret}: a value per purpose, the secret never revealed. */
    static byte[] derive(String secret, String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
