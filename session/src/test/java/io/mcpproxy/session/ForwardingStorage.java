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
    public Optional<Session> load(Session.Type type, String id, Duration ttl) {
        return delegate.load(type, id, ttl);
    }

    @Override
    public boolean delete(Session.Type type, String id) {
        return delegate.delete(type, id);
    }

    @Override
    public boolean heartbeat(String replicaId, String url, Duration ttl) {
        return delegate.heartbeat(replicaId, url, ttl);
    }

    @Override
    public boolean isAlive(String replicaId) {
        return delegate.isAlive(replicaId);
    }

    @Override
    public void removeReplica(String replicaId) {
        delegate.removeReplica(replicaId);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
