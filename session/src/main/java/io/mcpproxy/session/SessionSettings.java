package io.mcpproxy.session;

import java.time.Duration;
import java.util.Objects;

/**
 * Where a proxy keeps its sessions and how long they live. Each option's default, unit and valid range are
 * declared here once; {@link SessionManager.Builder}, every proxy builder and the runner's flags set them through
 * this record.
 *
 * @param ttl     sliding time-to-live since the last access, at least 1 s. Default 2 h
 * @param storage where sessions live; null (the default): an in-process {@link LocalStorage} the proxy creates and
 *                closes. A storage handed in stays open when the proxy closes
 */
public record SessionSettings(Duration ttl, SessionStorage storage) {

    /** Every option at its default. */
    public static final SessionSettings DEFAULTS = new SessionSettings(Duration.ofHours(2), null);

    public SessionSettings {
        Objects.requireNonNull(ttl, "sessionTtl");
        if (ttl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("sessionTtl must be at least 1 s, got " + ttl);
        }
    }

    public SessionSettings withTtl(Duration ttl) {
        return new SessionSettings(ttl, storage);
    }

    public SessionSettings withStorage(SessionStorage storage) {
        return new SessionSettings(ttl, Objects.requireNonNull(storage, "storage"));
    }
}
