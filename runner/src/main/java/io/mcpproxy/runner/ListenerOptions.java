package io.mcpproxy.runner;

import io.mcpproxy.core.ListenerSettings;
import io.mcpproxy.core.TlsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Flags of {@link ListenerSettings}, for every serving subcommand. */
final class ListenerOptions {

    @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", description = "Port to bind; 0 = any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--allowed-origin", paramLabel = "ORIGIN",
            description = "Extra allowed Origin (repeatable; '*' = any). Loopback origins and requests without Origin"
                    + " are always allowed.")
    List<String> allowedOrigins = new ArrayList<>();

    @Option(names = "--allowed-host", paramLabel = "HOST",
            description = "Allowed Host header name (repeatable; '*' = any). Default: loopback names when bound to"
                    + " loopback, else any.")
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--max-body-size",
            description = "Largest request body in bytes; larger gets 413 (default: ${DEFAULT-VALUE}).")
    long maxBodySize;

    @Option(names = "--drain-timeout", converter = DurationConverter.class,
            description = "On SIGTERM, how long in-flight requests may take to finish (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--header-timeout", converter = DurationConverter.class,
            description = "How long a request head may take to arrive whole, from its first byte; then 408 and the"
                    + " connection closes (default: ${DEFAULT-VALUE}).")
    Duration headerTimeout;

    @Option(names = "--body-timeout", converter = DurationConverter.class,
            description = "Longest pause while a request body is read; then 408 and the connection closes"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration bodyTimeout;

    @Option(names = "--max-client-connections",
            description = "Most client connections open at once; more wait to be accepted (default: ${DEFAULT-VALUE}).")
    int maxClientConnections;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Serve HTTPS with this PEM certificate chain (server certificate first); needs --tls-key.")
    Path tlsCertificate;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "The certificate's unencrypted PKCS#8 PEM private key (BEGIN PRIVATE KEY).")
    Path tlsKey;

    @Option(names = "--tls-keystore", paramLabel = "FILE",
            description = "Serve HTTPS with this PKCS#12 or JKS key store instead of PEM files.")
    Path tlsKeyStore;

    @Option(names = "--tls-keystore-password", paramLabel = "PASSWORD",
            description = "The key store's password; default: the environment variable " + KEYSTORE_PASSWORD_ENV
                    + ".")
    String tlsKeyStorePassword;

    @Option(names = "--tls-reload-interval", converter = DurationConverter.class,
            description = "How often the TLS files are checked for changes; new connections get a changed"
                    + " certificate (default: ${DEFAULT-VALUE}).")
    Duration tlsReloadInterval;

    /** Where the key store password is read from when the flag does not give it (flags show in process lists). */
    static final String KEYSTORE_PASSWORD_ENV = "MCP_PROXY_TLS_KEYSTORE_PASSWORD";

    /** @throws IllegalArgumentException for a value the record refuses */
    ListenerSettings settings() {
        return ListenerSettings.DEFAULTS.withHost(host).withPort(port).withMaxBodyBytes(maxBodySize)
                .withDrainTimeout(drainTimeout).withAllowedOrigins(allowedOrigins).withAllowedHosts(allowedHosts)
                .withHeaderTimeout(headerTimeout).withBodyTimeout(bodyTimeout)
                .withMaxClientConnections(maxClientConnections).withTls(tls());
    }

    /** TLS as the flags describe it, or null without any TLS flag. */
    private TlsSettings tls() {
        if (tlsCertificate == null && tlsKey == null && tlsKeyStore == null) {
            return null;
        }
        String password = tlsKeyStorePassword != null ? tlsKeyStorePassword
                : tlsKeyStore != null ? System.getenv(KEYSTORE_PASSWORD_ENV) : null;
        if (tlsKeyStore != null && password == null) {
            throw new IllegalArgumentException("--tls-keystore needs --tls-keystore-password or "
                    + KEYSTORE_PASSWORD_ENV);
        }
        return new TlsSettings(tlsCertificate, tlsKey, tlsKeyStore, password, tlsReloadInterval);
    }
}
