package io.mcpproxy.core.http;

import io.mcpproxy.core.TlsSettings;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The listener's TLS key material as a {@link KeyStore}, read with JDK classes only: a PKCS#12 or JKS store as it
 * is, or one built in memory from a PEM certificate chain ({@link CertificateFactory} reads PEM) and a PKCS#8
 * private key.
 */
final class ServerKeys {

    /** Protects the in-memory store built from PEM files; it never leaves the process. */
    static final String PEM_STORE_PASSWORD = "in-memory";
    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS");

    private ServerKeys() {
    }

    /** The password of {@link #load}'s store and of its key. */
    static String password(TlsSettings tls) {
        return tls.keyStore() != null ? tls.keyStorePassword() : PEM_STORE_PASSWORD;
    }

    /**
     * Reads the key material.
     *
     * @throws IllegalArgumentException naming the file that cannot be read or used, without its content
     */
    static KeyStore load(TlsSettings tls) {
        if (tls.keyStore() != null) {
            try {
                return KeyStore.getInstance(tls.keyStore().toFile(), tls.keyStorePassword().toCharArray());
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalArgumentException("cannot read the TLS key store " + tls.keyStore() + ": " + e);
            }
        }
        Certificate[] chain = certificates(tls.certificateChain());
        PrivateKey key = privateKey(tls.privateKey());
        if (!signsFor(key, chain[0])) {
            throw new IllegalArgumentException("the TLS private key " + tls.privateKey()
                    + " does not go with the certificate " + tls.certificateChain());
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", key, PEM_STORE_PASSWORD.toCharArray(), chain);
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("the TLS private key " + tls.privateKey()
                    + " does not go with the certificate " + tls.certificateChain() + ": " + e);
        }
    }

    /** A digest of the files' content, to tell when they changed. */
    static byte[] fingerprint(TlsSettings tls) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path file : tls.keyStore() != null ? List.of(tls.keyStore())
                    : List.of(tls.certificateChain(), tls.privateKey())) {
                digest.update(Files.readAllBytes(file));
            }
            return digest.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Whether {@code key} is the private half of {@code certificate}'s public key: a signature it makes verifies
     * (files replaced one at a time are caught here, between the two replacements, and not served).
     */
    private static boolean signsFor(PrivateKey key, Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448: the key's algorithm is the signature's
        };
        byte[] probe = "mcp-proxy key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // of another algorithm than the certificate's
        }
    }

    private static Certificate[] certificates(Path file) {
        try {
            byte[] pem = Files.readAllBytes(file);
            Certificate[] chain = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem)).toArray(new Certificate[0]);
            if (chain.length == 0) {
                throw new IllegalArgumentException("no certificate in the TLS certificate chain " + file);
            }
            return chain;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the TLS certificate chain " + file + ": " + e);
        }
    }

    private static PrivateKey privateKey(Path file) {
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the TLS private key " + file + ": " + e);
        }
        Matcher block = PKCS8.matcher(pem);
        if (!block.find()) {
            throw new IllegalArgumentException("the TLS private key " + file + " is not an unencrypted PKCS#8 PEM"
                    + " key (BEGIN PRIVATE KEY); convert it with openssl pkcs8 -topk8 -nocrypt");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(block.group(1)));
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException notThisOne) {
                // the PKCS#8 envelope names the algorithm; the next factory may read it
            }
        }
        throw new IllegalArgumentException("the TLS private key " + file + " is of no algorithm this JDK reads");
    }
}
