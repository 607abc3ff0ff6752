package io.mcpproxy.session;

import java.time.Duration;
import java.util.Optional;

/** A storage that hands every call to a real one; tests override the calls whose behaviour they change. */
public class ForwardingStorage implements SessionStorage {

    protected final SessionStorage delegate;

    public ForwardingStorage(SessionStorage delegate) {
        this.delegate = delegate;
    }

    @Override
    public boolean createIfAbsent(Session session, Duration ttl) {
        return delegate.createIfAbsent(session, ttl);
    }

    @Override
    public void store(Session session, Duration ttl) {
        delegate.store(session, ttl);
    }

    @Override
    public boolean replace(Session session, Duration ttl) {
        return delegate.replace(session, ttl);
    }

    @Override
    public Optional<Session> load(String id, Duration ttl) {
        return delegate.load(id, ttl);
    }

    @Override
    public boolean delete(String id) {
        return delegate.delete(id);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
