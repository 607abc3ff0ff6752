package io.mcpproxy.core.forward;

import java.nio.ByteBuffer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.BufferUtil;

/**
 * The bytes that complete a sized body, held until the upstream exchange has completed: a client that saw the whole
 * body would send its next request before this upstream connection is back in the pool, and the pool would open
 * another one.
 */
final class Tail {

    private Content.Chunk chunk;
    private ByteBuffer data = BufferUtil.EMPTY_BUFFER;

    /** Holds {@code data}, which lies in {@code chunk}, retained by the caller. */
    void hold(Content.Chunk chunk, ByteBuffer data) {
        this.chunk = chunk;
        this.data = data;
    }

    /** What is held; empty when nothing is. */
    ByteBuffer data() {
        return data;
    }

    void release() {
        if (chunk != null) {
            chunk.release();
            chunk = null;
        }
    }
}
