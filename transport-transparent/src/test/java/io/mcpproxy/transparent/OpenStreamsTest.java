package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.session.ForwardingStorage;
import io.mcpproxy.session.LocalStorage;
import io.mcpproxy.session.MutableClock;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionManager;
import io.mcpproxy.session.SessionStorage;
import io.mcpproxy.session.SessionStorageException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
        Duration every = sessions.refreshInterval();
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
        assertTrue(sessions.storage().load(Session.Type.TRANSPARENT, listening, TTL).isPresent(),
                "kept while its stream is open");
        assertFalse(sessions.storage().load(Session.Type.TRANSPARENT, quiet, TTL).isPresent(),
                "a session without a stream expires");

        openStreams.closed(stream);
        assertEquals(0, openStreams.size());
        runFor(2);
        assertFalse(sessions.storage().load(Session.Type.TRANSPARENT, listening, TTL).isPresent(),
                "expires once its stream closed");
    }

    @Test
    void aSessionEndedElsewhereIsNotBroughtBack() {
        String session = learned("deleted-session-00001");
        openStreams.opened(new Object(), session);
        sessions.delete(Session.Type.TRANSPARENT, session); // a DELETE through another replica
        openStreams.refresh();
        assertFalse(sessions.storage().load(Session.Type.TRANSPARENT, session, TTL).isPresent());
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
        assertTrue(sessions.storage().load(Session.Type.TRANSPARENT, session, TTL).isPresent());
    }

    @Test
    void oneUnreadableSessionDoesNotKeepTheOthersFromTheirRefresh() {
        MutableClock clock = new MutableClock();
        LocalStorage local = LocalStorage.builder().clock(clock).sweepInterval(Duration.ZERO).build();
        SessionStorage unreadableOne = new ForwardingStorage(local) { // one record a newer replica wrote, say
            @Override
            public Optional<Session> load(Session.Type type, String id, Duration ttl) {
                if (id.startsWith("unreadable")) {
                    throw new SessionStorageException("record format 9 is newer than this replica");
                }
                return super.load(type, id, ttl);
            }
        };
        try (SessionManager manager = SessionManager.builder().storage(unreadableOne).clock(clock).ttl(TTL).build()) {
            OpenStreams streams = new OpenStreams(manager);
            List<String> readable = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = "readable-session-" + (100 + i);
                manager.register(id, Session.Type.TRANSPARENT, Map.of());
                readable.add(id);
                streams.opened(new Object(), id);
                if (i == 3) {
                    manager.register("unreadable-session-1", Session.Type.TRANSPARENT, Map.of());
                    streams.opened(new Object(), "unreadable-session-1");
                }
            }
            Duration every = manager.refreshInterval();
            for (int round = 0; round < 6; round++) { // two TTLs
                clock.advance(every);
                streams.refresh();
            }
            for (String id : readable) {
                assertTrue(local.load(Session.Type.TRANSPARENT, id, TTL).isPresent(), id + " kept");
            }
        }
    }
}
