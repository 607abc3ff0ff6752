package io.mcpproxy.benchmarks;

import java.nio.ByteBuffer;

/** Finding the end of an HTTP/1.1 message head in raw bytes, for the benchmark's minimal forwarders. */
final class Http1Heads {
    private Http1Heads() {
    }

    /**
     * Length of the head that starts at index {@code start} of {@code buffer}, without its closing blank line, when
     * the bytes up to index {@code end} (exclusive) hold all of it; -1 while they do not.
     */
    static int headLength(ByteBuffer buffer, int start, int end) {
        for (int i = start + 3; i < end; i++) {
            if (buffer.get(i) == '\n' && buffer.get(i - 1) == '\r' && buffer.get(i - 2) == '\n'
                    && buffer.get(i - 3) == '\r') {
                return i - 3 - start;
            }
        }
        return -1;
    }
}
