package io.mcpproxy.streamable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code requestState} the proxy puts in an {@code InputRequiredResult}: opaque to the client, tamper-evident,
 * naming the replica that holds the waiting call (and where the other replicas reach it) and the call's id in that
 * replica's {@link WaitingCalls}. Form: {@code v1.<base64url JSON>.<base64url HMAC-SHA256>}, the MAC over everything
 * before its dot, under a key derived from the cluster secret (so every replica of the cluster verifies what any
 * minted) or, without one, a random key of this process. It holds no secret: the waiting call's id is the
 * capability, and the MAC keeps a client from forging one that names another replica or call.
 */
final class RequestStates {

    private static final String PREFIX = "v1.";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
    /** Longer states are not even parsed: ours stay far below. */
    private static final int MAX_LENGTH = 2048;

    /**
     * What a verified state says.
     *
     * @param replica    the replica holding the call
     * @param replicaUrl where the other replicas reach it; null when it forwards nothing
     * @param waitingId  the call's id in that replica's table
     */
    record Claim(String replica, URI replicaUrl, String waitingId) {
    }

    private final byte[] key;
    private final String replica;
    private final URI replicaUrl;

    /**
     * @param clusterKey a key the replicas share, or null: a random one of this process
     * @param replica    this replica's id
     * @param replicaUrl where the other replicas reach this one, or null
     */
    RequestStates(byte[] clusterKey, String replica, URI replicaUrl) {
        this.key = clusterKey != null ? clusterKey.clone() : randomKey();
        this.replica = replica;
        this.replicaUrl = replicaUrl;
    }

    /** A state naming this replica and its waiting call {@code waitingId}. */
    String mint(String waitingId) {
        ObjectNode claim = JsonRpc.objectNode().put("r", replica).put("w", waitingId);
        if (replicaUrl != null) {
            claim.put("u", replicaUrl.toString());
        }
        String signed = PREFIX + ENCODER.encodeToString(JsonRpc.toBytes(claim));
        return signed + "." + ENCODER.encodeToString(mac(signed));
    }

    /** What {@code state} claims, or null when this proxy did not mint it unchanged. */
    Claim verify(String state) {
        int dot = state.lastIndexOf('.');
        if (state.length() > MAX_LENGTH || !state.startsWith(PREFIX) || dot <= PREFIX.length()) {
            return null;
        }
        String signed = state.substring(0, dot);
        // The encoded forms are compared: a decoder ignores the unused low bits of the last character, so decoding
        // first would accept a state whose last character was changed.
        byte[] expected = ENCODER.encode(mac(signed));
        if (!MessageDigest.isEqual(expected, state.substring(dot + 1).getBytes(StandardCharsets.US_ASCII))) {
            return null;
        }
        JsonNode claim;
        try {
            claim = JsonRpc.parseOrNull(DECODER.decode(signed.substring(PREFIX.length())));
        } catch (IllegalArgumentException e) {
            claim = null; // signed but not base64url: as below
        }
        if (claim == null || !claim.path("r").isTextual() || !claim.path("w").isTextual()) {
            return null; // a key we minted with never signs this: only a leaked key could
        }
        String url = claim.path("u").asText(null);
        return new Claim(claim.get("r").asText(), url == null ? null : URI.create(url), claim.get("w").asText());
    }

    /** Whether {@code claim} names this replica. */
    boolean isHere(Claim claim) {
        return replica.equals(claim.replica());
    }

    private byte[] mac(String signed) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static byte[] randomKey() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return random;
    }
}
