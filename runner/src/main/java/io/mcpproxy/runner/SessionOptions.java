package io.mcpproxy.runner;

import io.mcpproxy.session.SessionSettings;
import io.mcpproxy.session.redis.RedisStorage;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags of {@link SessionSettings} and of the Redis storage, for every serving subcommand. */
final class SessionOptions {

    @Option(names = "--session-ttl", converter = DurationConverter.class,
            description = "Sliding session time-to-live (default: ${DEFAULT-VALUE}).")
    Duration ttl;

    @Option(names = "--redis-url", paramLabel = "URL",
            description = "Keep sessions in Redis (redis://[user:password@]host:port[/db], rediss:// for TLS) so that"
                    + " replicas share them. Absent: in-process storage.")
    String redisUrl;

    @Option(names = "--redis-key-prefix", description = "Redis key prefix, ends with ':' (default: ${DEFAULT-VALUE}).")
    String redisKeyPrefix;

    /**
     * The settings without a storage (the proxy keeps sessions in-process unless {@link #openStorage} opens one).
     * The key prefix is checked here too, Redis or not: a malformed flag is refused whatever else is given.
     */
    SessionSettings settings() {
        RedisStorage.builder().keyPrefix(redisKeyPrefix);
        return SessionSettings.DEFAULTS.withTtl(ttl);
    }

    /** The Redis storage {@code --redis-url} names (the caller closes it), or null for in-process storage. */
    RedisStorage openStorage() {
        return redisUrl == null ? null : RedisStorage.builder().uri(redisUrl).keyPrefix(redisKeyPrefix).build();
    }
}
