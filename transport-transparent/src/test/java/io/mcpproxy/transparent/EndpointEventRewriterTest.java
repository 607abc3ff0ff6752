package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointEventRewriterTest {

    private final List<String> learned = new ArrayList<>();

    /** Feeds {@code stream} cut at {@code cuts} (byte offsets) and returns everything the rewriter let through. */
    private byte[] feed(EndpointEventRewriter rewriter, byte[] stream, int... cuts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int from = 0;
        for (int cut : cuts) {
            write(out, rewriter.apply(ByteBuffer.wrap(stream, from, cut - from)));
            from = cut;
        }
        write(out, rewriter.apply(ByteBuffer.wrap(stream, from, stream.length - from)));
        write(out, rewriter.flush());
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        out.writeBytes(bytes);
    }

    @Test
    void aCharacterSplitAcrossChunksPassesByteForByte() {
        byte[] stream = "event: message\ndata: {\"text\":\"5 €\"}\n\ndata: next\n\n".getBytes(StandardCharsets.UTF_8);
        int insideEuro = new String(stream, StandardCharsets.UTF_8).indexOf('€') + 1; // a char index = byte index here
        assertArrayEquals(stream, feed(new EndpointEventRewriter("", learned::add), stream, insideEuro));
        assertEquals(List.of(), learned);
    }

    @Test
    void anEndpointEventIsLearnedAndLeftAsItIsWithoutAPrefix() {
        byte[] stream = "event: endpoint\r\ndata:/messages?session_id=abc%2Bd\r\n\r\nevent: message\r\ndata: x\r\n\r\n"
                .getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(stream, feed(new EndpointEventRewriter("", learned::add), stream, 5, 30));
        assertEquals(List.of("abc+d"), learned);
    }

    @Test
    void underAPrefixTheEndpointMovesUnderItAndTheLineBreaksStay() {
        byte[] stream = "event: endpoint\r\ndata: /messages?session_id=s1\r\n\r\ndata: é\r\n\r\n"
                .getBytes(StandardCharsets.UTF_8);
        byte[] out = feed(new EndpointEventRewriter("/up", learned::add), stream, 17);
        assertEquals("event: endpoint\r\ndata: /up/messages?session_id=s1\r\n\r\ndata: é\r\n\r\n",
                new String(out, StandardCharsets.UTF_8));
        assertEquals(List.of("s1"), learned);
    }

    @Test
    void carriageReturnsAloneEndLinesToo() {
        byte[] stream = "event: endpoint\rdata: /messages?sessionId=s2\r\rdata: x\r\r".getBytes(StandardCharsets.UTF_8);
        assertEquals("event: endpoint\rdata: /p/messages?sessionId=s2\r\rdata: x\r\r",
                new String(feed(new EndpointEventRewriter("/p", learned::add), stream), StandardCharsets.UTF_8));
        assertEquals(List.of("s2"), learned);
    }

    @Test
    void anEndpointJavaCannotParseIsLeftAlone() {
        byte[] stream = "event: endpoint\ndata: /messages?session_id=a b|{\n\n".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(stream, feed(new EndpointEventRewriter("/p", learned::add), stream));
        assertEquals(List.of(), learned);
    }

    @Test
    void aHeadWithoutAnEventEndIsReleasedOnceItPasses16KiB() {
        EndpointEventRewriter rewriter = new EndpointEventRewriter("", learned::add);
        assertEquals(0, rewriter.apply(ByteBuffer.wrap(new byte[10_000])).remaining(), "still looking");
        assertEquals(20_000, rewriter.apply(ByteBuffer.wrap(new byte[10_000])).remaining(), "given up: all of it");
        assertEquals(5, rewriter.apply(ByteBuffer.wrap(new byte[5])).remaining(), "then passed straight on");
    }
}
