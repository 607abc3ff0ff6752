package io.mcpproxy.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.http.MirroredHeaders;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the transparent proxy adds to a modern (2026-07-28) request: its body parsed and its standard mirrored
 * headers checked against it (a legacy body is forwarded unread). {@code textBytes} sizes the tool call's argument:
 * 5 is the A/B load's {@code "hello"}, 16384 a large argument.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ModernHeaderCheckBenchmark {

    @Param({"5", "16384"})
    int textBytes;

    private byte[] body;
    private final HttpFields headers = HttpFields.build().add("MCP-Protocol-Version", "2026-07-28")
            .add("Mcp-Method", "tools/call").add("Mcp-Name", "echo").asImmutable();

    @Setup
    public void body() {
        body = ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":"
                + "{\"text\":\"" + "x".repeat(textBytes) + "\"},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":"
                + "\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The parse and the check, as ModernRequests.admit does them; null when the headers match. */
    @Benchmark
    public String parseAndCheck() {
        JsonNode message = JsonRpc.parseOrNull(body);
        return MirroredHeaders.forwardedMismatch(headers, (ObjectNode) message, "2026-07-28");
    }
}
