package io.mcpproxy.session;

/**
 * The session storage failed: unreachable, timed out, refused, or returned a record it cannot read.
 *
 * <p>Never thrown for a session that simply does not exist. Transports answer it with HTTP 503 and
 * {@code Retry-After}, because the session may well exist and the client should keep it.
 */
public class SessionStorageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public SessionStorageException(String message) {
        super(message);
    }

    public SessionStorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
