package io.mcpproxy.session;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.startsWith;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** A storage outage in the log: one WARN at its start, a summary per interval, one INFO at its end. */
class StorageOutageLogTest {

    private final Logger log = mock(Logger.class);
    private final MutableClock clock = new MutableClock();
    private final StorageOutageLog outages = new StorageOutageLog(log, clock);
    private final SessionStorageException down = new SessionStorageException("Redis at redis://h:1/0 is unreachable");

    @Test
    void anOutageOfManyFailuresIsOneWarningASummaryPerIntervalAndOneInfoAtItsEnd() {
        outages.succeeded();
        verify(log, never()).info(anyString(), any(), any());

        for (int second = 0; second < 25; second++) { // 5 failures a second for 25 s
            for (int i = 0; i < 5; i++) {
                outages.failed("load", down);
            }
            clock.advance(Duration.ofSeconds(1));
        }
        verify(log, times(1)).warn(startsWith("session storage unavailable"), any(Object[].class));
        verify(log, times(2)).warn(startsWith("session storage still unavailable"), any(Object[].class));

        outages.succeeded();
        outages.succeeded();
        verify(log, times(1)).info(startsWith("session storage answers again"), any(), any());

        outages.failed("load", down); // a new outage starts with a warning of its own
        verify(log, times(2)).warn(startsWith("session storage unavailable"), any(Object[].class));
    }

    @Test
    void theSessionManagerLogsTheOutagesOfItsStorageAndLetsTheFailuresThrough() {
        SessionStorage failing = new ForwardingStorage(LocalStorage.builder().sweepInterval(Duration.ZERO).build()) {
            @Override
            public java.util.Optional<Session> load(Session.Type type, String id, Duration ttl) {
                throw down;
            }
        };
        try (SessionManager manager = SessionManager.builder().storage(failing).build()) {
            org.junit.jupiter.api.Assertions.assertThrows(SessionStorageException.class,
                    () -> manager.get(Session.Type.STREAMABLE, "a-session-id-of-some-length"));
        }
    }
}
