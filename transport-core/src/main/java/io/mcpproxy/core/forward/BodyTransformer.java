package io.mcpproxy.core.forward;

import java.nio.ByteBuffer;

/**
 * Changes a response body on its way from the upstream to the client, chunk by chunk (the legacy SSE endpoint-event
 * rewriter, for one). A response whose body is transformed loses its {@code Content-Length}: the length may change.
 * Used by one exchange at a time, never concurrently.
 */
public interface BodyTransformer {

    /**
     * Feeds a chunk of the upstream body.
     *
     * @param chunk the upstream's bytes; valid until the bytes returned have been written to the client
     * @return the bytes to send to the client now: {@code chunk} itself, other bytes, or none while more are needed
     */
    ByteBuffer apply(ByteBuffer chunk);

    /** Whatever is still held at the end of the body; called once, when the upstream response is complete. */
    ByteBuffer flush();
}
