package io.mcpproxy.core.http;

import io.mcpproxy.core.Periodic;
import io.mcpproxy.core.TlsSettings;
import java.security.KeyStore;
import java.util.Arrays;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the listener's TLS new key material when its files change, without a restart: every reload interval it
 * compares a digest of the files' content with the one in use, and on a difference loads them and
 * {@linkplain SslContextFactory#reload reloads} the context; new connections then get the new certificate, open ones
 * keep theirs. Files caught half-written fail to load and are tried again next round, the old certificate serving
 * meanwhile. A Jetty bean of the listener's server, started after its scheduler.
 */
final class TlsReloader extends AbstractLifeCycle {

    private static final Logger LOG = LoggerFactory.getLogger(TlsReloader.class);

    private final TlsSettings tls;
    private final SslContextFactory.Server contextFactory;
    private final Scheduler scheduler;
    /** The digest of the files in use; only touched by the periodic round (and doStart, before it runs). */
    private byte[] inUse;
    private Periodic rounds; // only doStart and doStop, under Jetty's lifecycle lock

    TlsReloader(TlsSettings tls, SslContextFactory.Server contextFactory, Scheduler scheduler) {
        this.tls = tls;
        this.contextFactory = contextFactory;
        this.scheduler = scheduler;
    }

    /** A context factory for {@code tls}, its key material loaded now (a file that cannot be used fails here). */
    static SslContextFactory.Server contextFactory(TlsSettings tls) {
        SslContextFactory.Server factory = new SslContextFactory.Server();
        factory.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        factory.setKeyStore(ServerKeys.load(tls));
        factory.setKeyStorePassword(ServerKeys.password(tls));
        return factory;
    }

    @Override
    protected void doStart() throws Exception {
        inUse = ServerKeys.fingerprint(tls);
        rounds = Periodic.every(scheduler, "TLS certificate reload", tls.reloadInterval(), tls.reloadInterval(),
                this::reloadIfChanged);
    }

    @Override
    protected void doStop() {
        rounds.cancel();
    }

    private void reloadIfChanged() {
        try {
            byte[] current = ServerKeys.fingerprint(tls);
            if (!Arrays.equals(current, inUse)) {
                KeyStore keys = ServerKeys.load(tls);
                contextFactory.reload(factory -> factory.setKeyStore(keys));
                inUse = current;
                LOG.info("TLS certificate reloaded from {}", tls.keyStore() != null ? tls.keyStore()
                        : tls.certificateChain());
            }
        } catch (Exception unusable) { // missing, half-written or mismatched files: next round tries again
            LOG.warn("TLS files changed but cannot be used yet; the certificate in use serves on: {}",
                    unusable.getMessage());
        }
    }
}
