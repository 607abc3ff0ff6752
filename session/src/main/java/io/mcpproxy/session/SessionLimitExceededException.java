package io.mcpproxy.session;

/** A new session was refused because the storage holds its configured maximum number of sessions. */
public final class SessionLimitExceededException extends SessionStorageException {

    private static final long serialVersionUID = 1L;

    private final int maxSessions;

    public SessionLimitExceededException(int maxSessions) {
        super("session limit reached: this proxy already holds its maximum of " + maxSessions
                + " sessions; end idle sessions or raise maxSessions");
        this.maxSessions = maxSessions;
    }

    /** The configured bound that was hit. */
    public int maxSessions() {
        return maxSessions;
    }
}
