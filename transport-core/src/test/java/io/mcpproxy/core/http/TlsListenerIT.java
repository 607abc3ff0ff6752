package io.mcpproxy.core.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.core.TlsSettings;
import io.mcpproxy.core.testing.SlowClients;
import io.mcpproxy.core.testing.TestCertificates;
import io.mcpproxy.core.testing.TestCertificates.Generated;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS on the listener with generated certificates, and their rotation by replacing the files. */
class TlsListenerIT {

    private static final Duration RELOAD = Duration.ofMillis(200);
    @TempDir
    Path directory;
    private Generated first;
    private Generated second;
    private SSLContext trustingBoth;
    private HttpListener listener;

    @BeforeEach
    void certificates() throws Exception {
        first = TestCertificates.generate(directory, "first");
        second = TestCertificates.generate(directory, "second");
        trustingBoth = TestCertificates.trusting(first.certificate(), second.certificate());
    }

    @AfterEach
    void stop() {
        if (listener != null) {
            listener.stop();
        }
    }

    private void start(TlsSettings tls) throws Exception {
        listener = new HttpListener("tls-test", ListenerSettings.DEFAULTS.withPort(0).withTls(tls));
        listener.handler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                JsonResponses.error(response, callback, 200, null, 0, request.getHttpURI().getScheme());
                return true;
            }
        });
        listener.start();
    }

    /** The certificate a new connection is served, and the protocol it agreed. */
    private Certificate served() throws Exception {
        try (SSLSocket socket = (SSLSocket) trustingBoth.getSocketFactory().createSocket(
                InetAddress.getLoopbackAddress(), listener.port())) {
            socket.startHandshake();
            String protocol = socket.getSession().getProtocol();
            assertTrue(protocol.equals("TLSv1.3") || protocol.equals("TLSv1.2"), protocol);
            return socket.getSession().getPeerCertificates()[0];
        }
    }

    private void assertServesHttps() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(trustingBoth).build();
        assertEquals("https", listener.uri("/mcp").getScheme());
        HttpResponse<String> answer = client.send(HttpRequest.newBuilder(listener.uri("/mcp")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode());
        assertTrue(answer.body().contains("\"message\":\"https\""), answer.body());
    }

    /** Waits for a new connection to be served {@code expected}, within a few reload intervals. */
    private void assertRotatedTo(Certificate expected) throws Exception {
        long deadline = System.nanoTime() + RELOAD.multipliedBy(10).plusSeconds(3).toNanos();
        while (!served().equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(expected, served(), "new connections get the replaced certificate");
    }

    @Test
    void pemFilesServeHttpsAndAReplacedCertificateReachesNewConnections() throws Exception {
        Path certificate = directory.resolve("server.crt");
        Path key = directory.resolve("server.key");
        TestCertificates.replace(first.certificatePem(), certificate);
        TestCertificates.replace(first.keyPem(), key);
        assertServesThenRotates(TlsSettings.pem(certificate, key), () -> {
            TestCertificates.replace(second.keyPem(), key); // one at a time: a moment of mismatch
            TestCertificates.replace(second.certificatePem(), certificate);
        });
    }

    @Test
    void aKeyStoreServesHttpsAndAReplacedOneReachesNewConnections() throws Exception {
        Path keyStore = directory.resolve("server.p12");
        TestCertificates.replace(first.keyStore(), keyStore);
        assertServesThenRotates(TlsSettings.keyStore(keyStore, TestCertificates.PASSWORD),
                () -> TestCertificates.replace(second.keyStore(), keyStore));
    }

    /** Files that {@code tls} names hold the first certificate; {@code replace} puts the second in their place. */
    private void assertServesThenRotates(TlsSettings tls, FileReplacement replace) throws Exception {
        start(tls.withReloadInterval(RELOAD));
        assertEquals(first.certificate(), served());
        assertServesHttps();
        replace.run();
        assertRotatedTo(second.certificate());
        assertServesHttps();
    }

    private interface FileReplacement {
        void run() throws Exception;
    }

    @Test
    void aHandshakeSentAByteASecondIsCutAtTheHeaderTimeout() throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        listener = new HttpListener("tls-test", ListenerSettings.DEFAULTS.withPort(0).withHeaderTimeout(timeout)
                .withTls(TlsSettings.pem(first.certificatePem(), first.keyPem())));
        listener.start();
        // the start of a TLS 1.2 ClientHello record, a byte a second: it never completes
        String helloStart = "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003" + "x".repeat(40);
        try (SlowClients slow = SlowClients.open(listener.port(), 3, helloStart, 1, Duration.ofSeconds(1))) {
            for (SlowClients.Answer answer : slow.awaitClosed(timeout.plus(SlowClients.MARGIN).multipliedBy(2))) {
                assertTrue(answer.closedAfter().compareTo(timeout.plus(SlowClients.MARGIN)) < 0,
                        "closed after " + answer.closedAfter());
            }
        }
    }

    @Test
    void unusableFilesAreRefusedAtStartNamingTheFile() throws Exception {
        Path missing = directory.resolve("missing.key");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> new HttpListener("x",
                ListenerSettings.DEFAULTS.withTls(TlsSettings.pem(first.certificatePem(), missing))));
        assertTrue(refused.getMessage().startsWith("cannot read the TLS private key " + missing), refused.getMessage());
        IllegalArgumentException notPkcs8 = assertThrows(IllegalArgumentException.class, () -> new HttpListener("x",
                ListenerSettings.DEFAULTS.withTls(TlsSettings.pem(first.certificatePem(), first.certificatePem()))));
        assertTrue(notPkcs8.getMessage().contains("is not an unencrypted PKCS#8 PEM key"), notPkcs8.getMessage());
        IllegalArgumentException mismatched = assertThrows(IllegalArgumentException.class, () -> new HttpListener(
                "x", ListenerSettings.DEFAULTS.withTls(TlsSettings.pem(first.certificatePem(), second.keyPem()))));
        assertTrue(mismatched.getMessage().contains("does not go with the certificate"), mismatched.getMessage());
    }
}
