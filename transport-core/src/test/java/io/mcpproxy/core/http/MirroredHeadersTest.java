package io.mcpproxy.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.util.Map;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;

class MirroredHeadersTest {

    private static final String MODERN = "2026-07-28";

    private static ObjectNode call(String arguments) {
        return (ObjectNode) JsonRpc.parse(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
                + "\"name\":\"execute_sql\",\"arguments\":" + arguments + ",\"_meta\":{"
                + "\"io.modelcontextprotocol/protocolVersion\":\"" + MODERN + "\"}}}").getBytes());
    }

    private static HttpFields.Mutable headers(String... nameValues) {
        HttpFields.Mutable fields = HttpFields.build().add("Mcp-Method", "tools/call").add("Mcp-Name", "execute_sql");
        for (int i = 0; i < nameValues.length; i += 2) {
            fields.add(nameValues[i], nameValues[i + 1]);
        }
        return fields;
    }

    private static final Map<String, String> MIRRORED = Map.of("Region", "region", "Limit", "limit");

    @Test
    void recognizedParameterHeadersMatchTheirArguments() {
        assertNull(MirroredHeaders.mismatch(headers("Mcp-Param-Region", "us-west1", "Mcp-Param-Limit", "42.0"),
                call("{\"region\":\"us-west1\",\"limit\":42}"), MODERN, MIRRORED));
    }

    @Test
    void aBase64SentinelValueIsDecodedFirst() {
        assertNull(MirroredHeaders.mismatch(headers("Mcp-Param-Region", "=?base64?SGVsbG8sIOS4lueVjA==?="),
                call("{\"region\":\"Hello, 世界\"}"), MODERN, MIRRORED));
    }

    @Test
    void aMissingOrDifferentParameterHeaderIsAMismatch() {
        assertNotNull(MirroredHeaders.mismatch(headers(), call("{\"region\":\"us-west1\"}"), MODERN, MIRRORED));
        assertNotNull(MirroredHeaders.mismatch(headers("Mcp-Param-Region", "eu-north1"),
                call("{\"region\":\"us-west1\"}"), MODERN, MIRRORED));
        assertNotNull(MirroredHeaders.mismatch(headers("Mcp-Param-Limit", "41"), call("{\"limit\":42}"), MODERN,
                MIRRORED));
    }

    @Test
    void anArgumentThatIsAbsentOrNullExpectsNoHeader() {
        assertNull(MirroredHeaders.mismatch(headers(), call("{\"region\":null}"), MODERN, MIRRORED));
        assertNull(MirroredHeaders.mismatch(headers("Mcp-Param-Other", "ignored"), call("{}"), MODERN, MIRRORED));
    }

    @Test
    void invalidCharactersOrBrokenBase64AreAMismatch() {
        assertNull(MirroredHeaders.decoded("line1\nline2"));
        assertNull(MirroredHeaders.decoded("=?base64?***?="));
        assertNull(MirroredHeaders.decoded("=?base64?SGVsbG8?="), "padding missing");
        assertEquals("=?base64?literal?=", MirroredHeaders.decoded("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="));
    }

    @Test
    void theVersionHeaderMustMatchTheBody() {
        assertEquals("MCP-Protocol-Version header value '2026-07-29' does not match body value '2026-07-28'",
                MirroredHeaders.mismatch(headers(), call("{}"), "2026-07-29", Map.of()));
    }

    @Test
    void anIntermediaryChecksTheStandardHeadersButLeavesParameterHeadersToTheServer() {
        assertNull(MirroredHeaders.forwardedMismatch(headers("Mcp-Param-Region", "eu-north1"),
                call("{\"region\":\"us-west1\"}"), MODERN), "an Mcp-Param-* header it does not recognize");
        assertEquals("Mcp-Name header value 'drop_table' does not match body value 'execute_sql'",
                MirroredHeaders.forwardedMismatch(HttpFields.build().add("Mcp-Method", "tools/call")
                        .add("Mcp-Name", "drop_table"), call("{}"), MODERN));
        assertEquals("Mcp-Method header is missing",
                MirroredHeaders.forwardedMismatch(HttpFields.build(), call("{}"), MODERN));
    }

    @Test
    void anIntermediaryRefusesADifferentBodyVersionButLeavesAMissingOneToTheServer() {
        assertEquals("MCP-Protocol-Version header value '2026-07-29' does not match body value '2026-07-28'",
                MirroredHeaders.forwardedMismatch(headers(), call("{}"), "2026-07-29"));
        ObjectNode withoutVersion = call("{}");
        ((ObjectNode) withoutVersion.get("params")).remove("_meta");
        assertNull(MirroredHeaders.forwardedMismatch(headers(), withoutVersion, MODERN));
    }

    @Test
    void aStandardHeaderSentTwiceIsAMismatchEvenWhenItsFirstValueMatches() {
        assertEquals("Mcp-Method header is sent more than once",
                MirroredHeaders.mismatch(headers("Mcp-Method", "tools/list"), call("{}"), MODERN, Map.of()));
        assertEquals("Mcp-Name header is sent more than once",
                MirroredHeaders.forwardedMismatch(headers("Mcp-Name", "drop_tables"), call("{}"), MODERN));
    }
}
