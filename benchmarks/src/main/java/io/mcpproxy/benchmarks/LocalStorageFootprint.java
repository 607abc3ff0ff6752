package io.mcpproxy.benchmarks;

import io.mcpproxy.session.LocalStorage;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionManager;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Map;

/**
 * Heap held by LocalStorage with N sessions of two metadata entries each (ids minted by SessionManager).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.mcpproxy.benchmarks.LocalStorageFootprint [sessions]</pre>
 */
public final class LocalStorageFootprint {

    private LocalStorageFootprint() {
    }

    public static void main(String[] args) throws InterruptedException {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        LocalStorage storage = LocalStorage.create();
        SessionManager manager = SessionManager.builder().storage(storage).build();

        long before = settledHeap(memory);
        for (int i = 0; i < count; i++) {
            manager.create(Session.Type.STREAMABLE,
                    Map.of(Session.PROTOCOL_VERSION, "2025-06-18", Session.OWNER, "replica-" + (i % 4)));
        }
        long after = settledHeap(memory);

        long held = after - before;
        System.out.printf("sessions: %,d%n", storage.size());
        System.out.printf("heap held: %,d bytes = %.1f MB (%d bytes per session)%n",
                held, held / 1_000_000.0, held / count);
        manager.close();
        storage.close();
    }

    private static long settledHeap(MemoryMXBean memory) throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
