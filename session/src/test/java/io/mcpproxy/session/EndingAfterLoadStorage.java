package io.mcpproxy.session;

import java.time.Duration;
import java.util.Optional;

/**
 * A real storage that deletes every session right after loading it, so a read-then-write caller such as
 * {@link SessionManager#updateMetadata} meets, on every call, the race it must survive: the session ends between
 * its read and its write. Deterministic, no threads or timing involved.
 */
public final class EndingAfterLoadStorage extends ForwardingStorage {

    public EndingAfterLoadStorage(SessionStorage delegate) {
        super(delegate);
    }

    @Override
    public Optional<Session> load(Session.Type type, String id, Duration ttl) {
        Optional<Session> loaded = delegate.load(type, id, ttl);
        delegate.delete(type, id); // e.g. the client's stream closed just now
        return loaded;
    }
}
