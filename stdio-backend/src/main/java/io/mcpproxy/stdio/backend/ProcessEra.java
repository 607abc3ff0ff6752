package io.mcpproxy.stdio.backend;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What one server process was found to speak ({@link EraProbe}), and the requests that wait until that is known:
 * nothing of a client reaches the process before its era is decided.
 */
final class ProcessEra {

    /** Guards era, discoverResult and waiters: the moment the era is decided. */
    private final Object lock = new Object();
    /** LEGACY or MODERN once decided; null while the probe is in flight. */
    private ServerEra era;
    /** The server's own {@code DiscoverResult} from the probe; null for legacy, or when it sent none. */
    private ObjectNode discoverResult;
    private List<Runnable> waiters = new ArrayList<>();

    /** An era decided from the start (no probe). */
    static ProcessEra decided(ServerEra era) {
        ProcessEra decided = new ProcessEra();
        decided.decide(era, null);
        return decided;
    }

    /**
     * Decides the era, once: later calls are ignored (a probe's answer after its timeout), then runs the waiters.
     *
     * @return whether this call decided it
     */
    boolean decide(ServerEra decidedEra, ObjectNode discover) {
        List<Runnable> ready;
        synchronized (lock) {
            if (era != null) {
                return false;
            }
            era = decidedEra;
            discoverResult = discover;
            ready = waiters;
            waiters = null;
        }
        ready.forEach(Runnable::run);
        return true;
    }

    /** Runs {@code then} now if the era is decided, else once it is (on the thread that decides it). */
    void whenDecided(Runnable then) {
        synchronized (lock) {
            if (era == null) {
                waiters.add(then);
                return;
            }
        }
        then.run();
    }

    /** LEGACY or MODERN, or null while undecided. */
    ServerEra era() {
        synchronized (lock) {
            return era;
        }
    }

    boolean isModern() {
        return era() == ServerEra.MODERN;
    }

    /** A copy of the server's {@code DiscoverResult}, or null when the probe brought none. */
    ObjectNode discoverResult() {
        synchronized (lock) {
            return discoverResult == null ? null : discoverResult.deepCopy();
        }
    }
}
