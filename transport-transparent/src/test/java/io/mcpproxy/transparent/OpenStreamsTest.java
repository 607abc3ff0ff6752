package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.session.LocalStorage;
import io.mcpproxy.session.MutableClock;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionManager;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OpenStreamsTest {

    private static final Duration TTL = Duration.ofMinutes(30);

    private final MutableClock clock = new MutableClock();
    private final SessionManager sessions = SessionManager.builder()
            .storage(LocalStorage.builder().clock(clock).sweepInterval(Duration.ZERO).build())
            .clock(clock).ttl(TTL).build();
    private final OpenStreams openStreams = new OpenStreams(sessions);

    @AfterEach
    void close() {
        sessions.close();
        sessions.storage().close();
    }

    private String learned(String id) {
        sessions.register(id, Session.Type.TRANSPARENT, Map.of(Session.BACKEND_URL, "http://127.0.0.1:1/mcp"));
        return id;
    }

    /** Moves the clock through {@code ttls} TTLs, running the refresh as often as the proxy schedules it. */
    private void runFor(int ttls) {
        Duration every = OpenStreams.refreshInterval(TTL);
        for (long elapsed = 0; elapsed < TTL.multipliedBy(ttls).toMillis(); elapsed += every.toMillis()) {
            clock.advance(every);
            openStreams.refresh();
        }
    }

    @Test
    void aSessionWithAnOpenStreamOutlivesItsTtlAndExpiresOnceTheStreamCloses() {
        String listening = learned("listening-session-0001");
        String quiet = learned("quiet-session-000001");
        Object stream = new Object();
        openStreams.opened(stream, listening);

        runFor(3);
        assertTrue(sessions.storage().load(listening, TTL).isPresent(), "kept while its stream is open");
        assertFalse(sessions.storage().load(quiet, TTL).isPresent(), "a session without a stream expires");

        openStreams.closed(stream);
        assertEquals(0, openStreams.size());
        runFor(2);
        assertFalse(sessions.storage().load(listening, TTL).isPresent(), "expires once its stream closed");
    }

    @Test
    void aSessionEndedElsewhereIsNotBroughtBack() {
        String session = learned("deleted-session-00001");
        openStreams.opened(new Object(), session);
        sessions.delete(session); // a DELETE through another replica
        openStreams.refresh();
        assertFalse(sessions.storage().load(session, TTL).isPresent());
    }

    @Test
    void twoStreamsOfOneSessionKeepItUntilTheLastCloses() {
        String session = learned("two-streams-session-1");
        Object get = new Object();
        Object post = new Object();
        openStreams.opened(get, session);
        openStreams.opened(post, session);
        openStreams.closed(post);
        runFor(2);
        assertTrue(sessions.storage().load(session, TTL).isPresent());
    }
}
