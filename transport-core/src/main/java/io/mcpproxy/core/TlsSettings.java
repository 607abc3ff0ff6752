package io.mcpproxy.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * TLS on the HTTP listener: the server's certificate and key, from PEM files or from a key store, reloaded when the
 * files change. Only TLS 1.2 and 1.3 are offered.
 *
 * @param certificateChain PEM file with the server certificate first, then its intermediates; with
 *                         {@code privateKey}, instead of a key store
 * @param privateKey       PEM file with the certificate's unencrypted PKCS#8 private key ({@code BEGIN PRIVATE
 *                         KEY}; {@code openssl pkcs8 -topk8 -nocrypt} converts other forms)
 * @param keyStore         PKCS#12 or JKS key store holding one key entry, instead of the PEM files
 * @param keyStorePassword the key store's password (also its key's); null with PEM files
 * @param reloadInterval   how often the files are checked for changes (their content, not their timestamps); a
 *                         change takes effect for new connections. At least 1 ms. Default 30 s
 */
public record TlsSettings(Path certificateChain, Path privateKey, Path keyStore, String keyStorePassword,
                          Duration reloadInterval) {

    /** Default of {@link #reloadInterval}. */
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(30);

    public TlsSettings {
        boolean pem = certificateChain != null || privateKey != null;
        if (pem && (certificateChain == null || privateKey == null)) {
            throw new IllegalArgumentException("tls needs both a certificate chain and a private key, got "
                    + (certificateChain == null ? "only a private key" : "only a certificate chain"));
        }
        if (pem == (keyStore != null)) {
            throw new IllegalArgumentException(pem ? "tls takes PEM files or a key store, not both"
                    : "tls needs PEM files or a key store");
        }
        if (keyStore != null) {
            Objects.requireNonNull(keyStorePassword, "keyStorePassword");
        }
        Settings.requireAtLeast(reloadInterval, Duration.ofMillis(1), "tlsReloadInterval");
    }

    /** TLS from a PEM certificate chain and private key, reloaded every 30 s if they changed. */
    public static TlsSettings pem(Path certificateChain, Path privateKey) {
        return new TlsSettings(certificateChain, privateKey, null, null, DEFAULT_RELOAD_INTERVAL);
    }

    /** TLS from a PKCS#12 or JKS key store, reloaded every 30 s if it changed. */
    public static TlsSettings keyStore(Path keyStore, String password) {
        return new TlsSettings(null, null, keyStore, password, DEFAULT_RELOAD_INTERVAL);
    }

    public TlsSettings withReloadInterval(Duration reloadInterval) {
        return new TlsSettings(certificateChain, privateKey, keyStore, keyStorePassword, reloadInterval);
    }

    /** The settings without the password, for logs and error messages. */
    @Override
    public String toString() {
        return keyStore != null ? "TlsSettings[keyStore=" + keyStore + "]"
                : "TlsSettings[certificateChain=" + certificateChain + ", privateKey=" + privateKey + "]";
    }
}
