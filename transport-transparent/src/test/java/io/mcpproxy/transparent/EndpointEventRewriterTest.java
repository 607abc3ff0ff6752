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
    private final List<String> messagePaths = new ArrayList<>();

    private void learn(String sessionId, String messagePath) {
        learned.add(sessionId);
        messagePaths.add(messagePath);
    }

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
        assertArrayEquals(stream, feed(new EndpointEventRewriter("", "/sse", this::learn), stream, insideEuro));
        assertEquals(List.of(), learned);
    }

    @Test
    void anEndpointEventIsLearnedAndLeftAsItIsWithoutAPrefix() {
        byte[] stream = "event: endpoint\r\ndata:/messages?session_id=abc%2Bd\r\n\r\nevent: message\r\ndata: x\r\n\r\n"
                .getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(stream, feed(new EndpointEventRewriter("", "/sse", this::learn), stream, 5, 30));
        assertEquals(List.of("abc+d"), learned);
        assertEquals(List.of("/messages"), messagePaths);
    }

    @Test
    void underAPrefixTheEndpointMovesUnderItAndTheLineBreaksStay() {
        byte[] stream = "event: endpoint\r\ndata: /messages?session_id=s1\r\n\r\ndata: é\r\n\r\n"
                .getBytes(StandardCharsets.UTF_8);
        byte[] out = feed(new EndpointEventRewriter("/up", "/sse", this::learn), stream, 17);
        assertEquals("event: endpoint\r\ndata: /up/messages?session_id=s1\r\n\r\ndata: é\r\n\r\n",
                new String(out, StandardCharsets.UTF_8));
        assertEquals(List.of("s1"), learned);
    }

    @Test
    void carriageReturnsAloneEndLinesToo() {
        byte[] stream = "event: endpoint\rdata: /messages?sessionId=s2\r\rdata: x\r\r".getBytes(StandardCharsets.UTF_8);
        assertEquals("event: endpoint\rdata: /p/messages?sessionId=s2\r\rdata: x\r\r",
                new String(feed(new EndpointEventRewriter("/p", "/sse", this::learn), stream), StandardCharsets.UTF_8));
        assertEquals(List.of("s2"), learned);
    }

    @Test
    void anEndpointJavaCannotParseIsLeftAlone() {
        byte[] stream = "event: endpoint\ndata: /messages?session_id=a b|{\n\n".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(stream, feed(new EndpointEventRewriter("/p", "/sse", this::learn), stream));
        assertEquals(List.of(), learned);
    }

    @Test
    void aHeadWithoutAnEventEndIsReleasedOnceItPasses16KiB() {
        EndpointEventRewriter rewriter = new EndpointEventRewriter("", "/sse", this::learn);
        assertEquals(0, rewriter.apply(ByteBuffer.wrap(new byte[10_000])).remaining(), "still looking");
        assertEquals(20_000, rewriter.apply(ByteBuffer.wrap(new byte[10_000])).remaining(), "given up: all of it");
        assertEquals(5, rewriter.apply(ByteBuffer.wrap(new byte[5])).remaining(), "then passed straight on");
    }

    @Test
    void commentsAndRetryBeforeTheEndpointPassOnAndTheEndpointIsStillFound() {
        byte[] stream = ": connected\n\nretry: 3000\n\nevent: endpoint\ndata: /messages?session_id=s3\n\ndata: x\n\n"
                .getBytes(StandardCharsets.UTF_8);
        EndpointEventRewriter rewriter = new EndpointEventRewriter("/p", "/sse", this::learn);
        assertEquals(": connected\n\n", new String(bytes(rewriter.apply(ByteBuffer.wrap(stream, 0, 20))),
                StandardCharsets.UTF_8), "a whole comment passes on at once");
        byte[] rest = feed(rewriter, java.util.Arrays.copyOfRange(stream, 20, stream.length));
        assertEquals("retry: 3000\n\nevent: endpoint\ndata: /p/messages?session_id=s3\n\ndata: x\n\n",
                new String(rest, StandardCharsets.UTF_8));
        assertEquals(List.of("s3"), learned);
    }

    @Test
    void anAbsoluteEndpointBecomesAPathOnTheProxyWithOrWithoutAPrefix() {
        byte[] stream = "event: endpoint\ndata: http://10.0.0.5:9000/messages?session_id=s4\n\n"
                .getBytes(StandardCharsets.UTF_8);
        assertEquals("event: endpoint\ndata: /messages?session_id=s4\n\n", new String(
                feed(new EndpointEventRewriter("", "/sse", this::learn), stream), StandardCharsets.UTF_8));
        assertEquals("event: endpoint\ndata: /up/messages?session_id=s4\n\n", new String(
                feed(new EndpointEventRewriter("/up", "/sse", this::learn), stream), StandardCharsets.UTF_8));
        assertEquals(List.of("s4", "s4"), learned);
    }

    @Test
    void underAPrefixARelativeEndpointIsResolvedAgainstTheUpstreamStream() {
        for (String[] relativeAndExpected : new String[][] {
                {"messages?session_id=s5", "/up/mcp/messages?session_id=s5"},
                {"?session_id=s5", "/up/mcp/sse?session_id=s5"},
                {"../messages?session_id=s5", "/up/messages?session_id=s5"}}) {
            byte[] stream = ("event: endpoint\ndata: " + relativeAndExpected[0] + "\n\n").getBytes(StandardCharsets.UTF_8);
            assertEquals("event: endpoint\ndata: " + relativeAndExpected[1] + "\n\n", new String(
                    feed(new EndpointEventRewriter("/up", "/mcp/sse", this::learn), stream), StandardCharsets.UTF_8));
        }
        byte[] odd = "event: endpoint\ndata: m?session_id=s7\n\n".getBytes(StandardCharsets.UTF_8);
        assertEquals("event: endpoint\ndata: /up/mcp/m?session_id=s7\n\n", new String(feed(
                new EndpointEventRewriter("/up", "/mcp/sse?q=a|b", this::learn), odd), StandardCharsets.UTF_8),
                "a stream target java.net.URI cannot read (forwarded as it came) still resolves by its path");
        byte[] unprefixed = "event: endpoint\ndata: messages?session_id=s6\n\n".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(unprefixed, feed(new EndpointEventRewriter("", "/mcp/sse", this::learn), unprefixed),
                "without a prefix the client resolves it against the same path");
        assertEquals(List.of("/mcp/messages", "/mcp/sse", "/messages", "/mcp/m", "/mcp/messages"), messagePaths,
                "the upstream message path each names, resolved and canonical");
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
