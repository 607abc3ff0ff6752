package io.mcpproxy.session;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One client session as the proxies share it across replicas: an immutable value.
 *
 * <p>Every "update" returns a new {@code Session}; the proxies write it back through
 * {@link SessionManager#updateMetadata(String, Map)}. Metadata is a flat string map so that any
 * {@link SessionStorage} can persist it without knowing what the proxies keep there; the keys the proxies use
 * are the constants on this class.
 */
public final class Session {

    /** Metadata key: absolute URL of the upstream that created the session (transparent proxy routing). */
    public static final String BACKEND_URL = "backend_url";
    /** Metadata key: the MCP protocol version negotiated in {@code initialize}. */
    public static final String PROTOCOL_VERSION = "protocol_version";
    /** Metadata key: the proxy replica that owns the session's backend or stream. */
    public static final String OWNER = "owner";
    /** Metadata key: the URL other replicas reach the owner at, when the replicas forward to each other. */
    public static final String OWNER_URL = "owner_url";
    /**
     * Metadata key: the digest of the authenticated principal that created the session; only that principal may use
     * it. Absent for sessions created without authentication.
     */
    public static final String PRINCIPAL = "principal";

    /** Which transport created the session. */
    public enum Type {
        /** MCP Streamable HTTP ({@code /mcp}). */
        STREAMABLE("streamable"),
        /** Legacy HTTP+SSE ({@code /sse} + {@code /messages}). */
        SSE("sse"),
        /** Transparent reverse proxy in front of an HTTP MCP server. */
        TRANSPARENT("transparent");

        private final String wireName;

        Type(String wireName) {
            this.wireName = wireName;
        }

        /** The lower-case name used in stored records. */
        public String wireName() {
            return wireName;
        }

        /**
         * Parses a stored name.
         *
         * @throws IllegalArgumentException for a name that is not one of the types
         */
        public static Type fromWireName(String name) {
            for (Type type : values()) {
                if (type.wireName.equals(name)) {
                    return type;
                }
            }
            throw new IllegalArgumentException("unknown session type '" + name + "'");
        }
    }

    private final String id;
    private final Type type;
    private final Instant createdAt;
    private final Instant lastAccess;
    private final Map<String, String> metadata;

    /**
     * Creates a session value.
     *
     * @param metadata copied; neither keys nor values may be null
     */
    public Session(String id, Type type, Instant createdAt, Instant lastAccess, Map<String, String> metadata) {
        this.id = requireNonNull(id, "id");
        this.type = requireNonNull(type, "type");
        this.createdAt = requireNonNull(createdAt, "createdAt");
        this.lastAccess = requireNonNull(lastAccess, "lastAccess");
        this.metadata = copyOf(requireNonNull(metadata, "metadata"));
    }

    public String id() {
        return id;
    }

    public Type type() {
        return type;
    }

    public Instant createdAt() {
        return createdAt;
    }

    /** When the session was last read or written through {@link SessionManager}. */
    public Instant lastAccess() {
        return lastAccess;
    }

    /** Unmodifiable, in insertion order. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** One metadata value, if present. */
    public Optional<String> metadata(String key) {
        return Optional.ofNullable(metadata.get(key));
    }

    /** This session with {@code key} set to {@code value}. */
    public Session withMetadata(String key, String value) {
        return withMetadata(Map.of(requireNonNull(key, "key"), requireNonNull(value, "value")));
    }

    /** This session with every entry of {@code changes} set (other keys kept). */
    public Session withMetadata(Map<String, String> changes) {
        Map<String, String> merged = new LinkedHashMap<>(metadata);
        merged.putAll(changes);
        return new Session(id, type, createdAt, lastAccess, merged);
    }

    /** This session without {@code key}. */
    public Session withoutMetadata(String key) {
        if (!metadata.containsKey(key)) {
            return this;
        }
        Map<String, String> reduced = new LinkedHashMap<>(metadata);
        reduced.remove(key);
        return new Session(id, type, createdAt, lastAccess, reduced);
    }

    /** This session with a new last-access time. */
    public Session withLastAccess(Instant when) {
        return new Session(id, type, createdAt, when, metadata);
    }

    private static Map<String, String> copyOf(Map<String, String> source) {
        if (source.isEmpty()) {
            return Map.of();
        }
        Map<String, String> copy = new LinkedHashMap<>(source.size() * 2);
        source.forEach((key, value) -> copy.put(requireNonNull(key, "metadata key"),
                requireNonNull(value, "metadata value of '" + key + "'")));
        return Collections.unmodifiableMap(copy);
    }

    private static <T> T requireNonNull(T value, String what) {
        return Objects.requireNonNull(value, () -> what + " must not be null");
    }

    @Override
    public boolean equals(Object other) {
        return this == other || other instanceof Session that
                && id.equals(that.id) && type == that.type && createdAt.equals(that.createdAt)
                && lastAccess.equals(that.lastAccess) && metadata.equals(that.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, type, createdAt, lastAccess, metadata);
    }

    @Override
    public String toString() {
        // The id is a bearer credential for the session: never log it whole.
        return "Session[" + type.wireName + " " + SessionIds.redact(id) + " created " + createdAt
                + " metadata " + metadata.keySet() + "]";
    }
}
