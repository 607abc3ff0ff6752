package io.mcpproxy.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed server certificates for 127.0.0.1 and localhost, made by the JDK's {@code keytool}: each as a PKCS#12
 * key store and as PEM files (certificate, PKCS#8 key).
 */
public final class TestCertificates {

    /** The password of every generated key store (and its key). */
    public static final String PASSWORD = "changeit";

    /** One generated certificate and where its files are. */
    public record Generated(X509Certificate certificate, Path keyStore, Path certificatePem, Path keyPem) {
    }

    private TestCertificates() {
    }

    /** A new key pair and certificate named {@code CN=name}, its files in {@code directory}. */
    public static Generated generate(Path directory, String name) throws IOException, GeneralSecurityException,
            InterruptedException {
        Path keyStore = directory.resolve(name + ".p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keyStore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
        KeyStore store = KeyStore.getInstance(keyStore.toFile(), PASSWORD.toCharArray());
        X509Certificate certificate = (X509Certificate) store.getCertificate("server");
        Key key = store.getKey("server", PASSWORD.toCharArray());
        Path certificatePem = directory.resolve(name + ".crt.pem");
        Path keyPem = directory.resolve(name + ".key.pem");
        Files.writeString(certificatePem, pem("CERTIFICATE", certificate.getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded())); // PKCS#8, as getEncoded gives it
        return new Generated(certificate, keyStore, certificatePem, keyPem);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /** Replaces {@code target} with {@code source}'s content in one step (no reader sees half a file). */
    public static void replace(Path source, Path target) throws IOException {
        Path temporary = target.resolveSibling(target.getFileName() + ".new");
        Files.copy(source, temporary, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A client TLS context that trusts exactly these certificates. */
    public static SSLContext trusting(X509Certificate... certificates) throws IOException, GeneralSecurityException {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        for (int i = 0; i < certificates.length; i++) {
            trusted.setCertificateEntry("trusted-" + i, certificates[i]);
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
