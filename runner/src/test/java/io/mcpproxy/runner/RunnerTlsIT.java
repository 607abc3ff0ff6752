package io.mcpproxy.runner;

import static io.mcpproxy.runner.RunnerProcesses.java;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner serving HTTPS from PEM files given by flags. */
class RunnerTlsIT {

    @TempDir
    Path directory;

    @Test
    void tlsFlagsServeHttpsAtThePrintedUrl() throws Exception {
        TestCertificates.Generated certificate = TestCertificates.generate(directory, "runner");
        List<String> command = java(Main.class.getName(), "streamable", "--port", "0",
                "--tls-cert", certificate.certificatePem().toString(), "--tls-key", certificate.keyPem().toString(),
                "--");
        command.addAll(java(Main.class.getName(), "example-server"));
        Process runner = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertServesHttps(runner, certificate);
        } finally {
            runner.destroyForcibly();
        }
    }

    private static void assertServesHttps(Process runner, TestCertificates.Generated certificate) throws Exception {
        URI uri = URI.create(RunnerProcesses.firstLine(runner));
        assertTrue(uri.toString().matches("https://127\\.0\\.0\\.1:\\d+/mcp"), uri.toString());

        HttpClient https = HttpClient.newBuilder()
                .sslContext(TestCertificates.trusting(certificate.certificate())).build();
        HttpResponse<String> init = https.send(HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                        + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, init.statusCode(), init.body());
        assertTrue(init.body().contains("\"serverInfo\""), init.body());
    }
}
