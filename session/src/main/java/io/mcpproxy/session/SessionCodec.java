package io.mcpproxy.session;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.time.Instant;
import java.util.Map;

/**
 * The stored form of a {@link Session}, shared by every storage that serializes (Redis today).
 *
 * <pre>{"v":1,"id":"…","type":"streamable","created":1732350000000,"accessed":1732350000000,"meta":{…}}</pre>
 *
 * Times are epoch milliseconds. Unknown fields are ignored so that a newer replica may add fields without
 * breaking older ones; a record of a newer <em>format version</em> is refused with a clear error instead of being
 * half-read.
 */
public final class SessionCodec {

    /** The format version this code writes and reads. */
    public static final int FORMAT_VERSION = 1;

    /** The one mapper of the session layer: thread-safe once configured. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    /** The wire record; field names are the stored names. */
    record Stored(Integer v, String id, String type, Long created, Long accessed, Map<String, String> meta) {
    }

    private SessionCodec() {
    }

    /** The stored JSON text of {@code session}. */
    public static String encode(Session session) {
        Stored stored = new Stored(FORMAT_VERSION, session.id(), session.type().wireName(),
                session.createdAt().toEpochMilli(), session.lastAccess().toEpochMilli(), session.metadata());
        try {
            return MAPPER.writeValueAsString(stored);
        } catch (JsonProcessingException e) {
            throw new SessionStorageException("cannot encode session record", e);
        }
    }

    /** @throws SessionStorageException for anything that is not a readable version-1 record */
    public static Session decode(String json) {
        Stored stored;
        try {
            stored = MAPPER.readValue(json, Stored.class);
        } catch (JsonProcessingException e) {
            throw new SessionStorageException("corrupt session record: " + e.getOriginalMessage(), e);
        }
        if (stored == null) { // the JSON literal null
            throw new SessionStorageException("corrupt session record: null");
        }
        if (stored.v() == null) {
            throw new SessionStorageException("corrupt session record: no format version field 'v'");
        }
        if (stored.v() != FORMAT_VERSION) {
            throw new SessionStorageException("session record has format version " + stored.v()
                    + ", this proxy reads version " + FORMAT_VERSION + " (is a newer replica writing to this store?)");
        }
        if (stored.id() == null || stored.type() == null || stored.created() == null || stored.accessed() == null) {
            throw new SessionStorageException("corrupt session record: id, type, created and accessed are required");
        }
        try {
            return new Session(stored.id(), Session.Type.fromWireName(stored.type()),
                    Instant.ofEpochMilli(stored.created()), Instant.ofEpochMilli(stored.accessed()),
                    stored.meta() == null ? Map.of() : stored.meta());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new SessionStorageException("corrupt session record: " + e.getMessage(), e);
        }
    }
}
