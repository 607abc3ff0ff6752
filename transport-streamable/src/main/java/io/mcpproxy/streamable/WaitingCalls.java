package io.mcpproxy.streamable;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The calls of this replica that wait for their clients' input, each under an unguessable id (192 random bits,
 * base64url) that the {@code requestState} names. Bounded: one more than {@link InputRequestSettings#maxWaiting} is
 * refused. An entry expires after {@link InputRequestSettings#inputTimeout}: the call is then told
 * ({@link BridgedCall#expired}), which answers its server requests with an error and cancels it at the server.
 */
final class WaitingCalls {

    private static final SecureRandom RANDOM = new SecureRandom();

    private record Entry(BridgedCall call, Scheduler.Task expiry) {
    }

    private final InputRequestSettings settings;
    private final Supplier<Scheduler> scheduler;
    /** Waiting calls by id; guarded by itself. */
    private final Map<String, Entry> calls = new HashMap<>();

    /** @param scheduler the proxy's timer (there while it runs) */
    WaitingCalls(InputRequestSettings settings, Supplier<Scheduler> scheduler) {
        this.settings = settings;
        this.scheduler = scheduler;
    }

    /** Adds {@code call} and starts its expiry; its id, or null when the table is full. */
    String park(BridgedCall call) {
        String id = newId();
        synchronized (calls) {
            if (calls.size() >= settings.maxWaiting()) {
                return null;
            }
            Scheduler.Task expiry = scheduler.get().schedule(() -> expire(id), settings.inputTimeout().toMillis(),
                    TimeUnit.MILLISECONDS);
            calls.put(id, new Entry(call, expiry));
        }
        return id;
    }

    /** The call waiting under {@code id}, left in the table; null when there is none (unknown, taken, expired). */
    BridgedCall peek(String id) {
        synchronized (calls) {
            Entry entry = calls.get(id);
            return entry == null ? null : entry.call();
        }
    }

    /** Takes {@code call} out of the table; false when it was no longer there under {@code id}. */
    boolean take(String id, BridgedCall call) {
        Entry entry;
        synchronized (calls) {
            entry = calls.get(id);
            if (entry == null || entry.call() != call) {
                return false;
            }
            calls.remove(id);
        }
        entry.expiry().cancel();
        return true;
    }

    /** Calls waiting now. */
    int size() {
        synchronized (calls) {
            return calls.size();
        }
    }

    /** How long a call may wait for its client. */
    Duration inputTimeout() {
        return settings.inputTimeout();
    }

    /** Ends every waiting call (the proxy stops). */
    void expireAll() {
        List<String> ids;
        synchronized (calls) {
            ids = new ArrayList<>(calls.keySet());
        }
        ids.forEach(this::expire);
    }

    private void expire(String id) {
        Entry entry;
        synchronized (calls) {
            entry = calls.remove(id);
        }
        if (entry != null) {
            entry.expiry().cancel();
            entry.call().expired();
        }
    }

    private static String newId() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
