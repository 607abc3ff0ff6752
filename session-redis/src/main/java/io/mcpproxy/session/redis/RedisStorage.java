package io.mcpproxy.session.redis;

import io.mcpproxy.session.Session;
import io.mcpproxy.session.SessionCodec;
import io.mcpproxy.session.SessionStorage;
import io.mcpproxy.session.SessionStorageException;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.GetExParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * {@link SessionStorage} in Redis, so that several proxy replicas serve the same sessions.
 *
 * <p>Keys are {@code prefix + type + ":" + id} (e.g. {@code mcp-proxy:session:streamable:<id>}): proxies of different
 * kinds sharing one Redis and one prefix keep their sessions apart. Replicas' liveness records are
 * {@code prefix + "replica:" + id}, with a short TTL their heartbeat restarts.
 *
 * <p>One Redis command per operation, each a single round trip:
 * <ul>
 *   <li>create: {@code SET key json NX EX ttl}</li>
 *   <li>store: {@code SET key json EX ttl}</li>
 *   <li>replace: {@code SET key json XX EX ttl}: only while the key exists, so an update never recreates a
 *       session that was deleted or expired meanwhile</li>
 *   <li>load: {@code GETEX key EX ttl}: reads the record and restarts its TTL at once, so there is no local
 *       cache to go stale between replicas and no separate {@code EXPIRE}</li>
 *   <li>delete: {@code DEL key}</li>
 * </ul>
 * TTLs are whole seconds (Redis {@code EX}); a fractional TTL is rounded up.
 *
 * <pre>{@code
 * RedisStorage storage = RedisStorage.builder()
 *         .uri("redis://proxy:secret@10.0.0.5:6379/2")   // or host(..).port(..).user(..).password(..)
 *         .socketTimeout(Duration.ofSeconds(1))
 *         .build();                                       // pings Redis; fails fast when unreachable
 * }</pre>
 *
 * For Sentinel or Cluster deployments, build the Jedis client yourself ({@code RedisSentinelClient},
 * {@code RedisClusterClient}) and pass it with {@link Builder#client(UnifiedJedis)}.
 */
public final class RedisStorage implements SessionStorage {

    private static final Logger LOG = LoggerFactory.getLogger(RedisStorage.class);

    /** Default key prefix; every key is {@code prefix + sessionId}. */
    public static final String DEFAULT_KEY_PREFIX = "mcp-proxy:session:";
    /** The port of a Redis URI that names none. */
    static final int DEFAULT_PORT = 6379;

    private final UnifiedJedis redis;
    private final boolean ownsClient;
    private final String keyPrefix;
    private final String address;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RedisStorage(UnifiedJedis redis, boolean ownsClient, String keyPrefix, String address) {
        this.redis = redis;
        this.ownsClient = ownsClient;
        this.keyPrefix = keyPrefix;
        this.address = address;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean createIfAbsent(Session session, Duration ttl) {
        String json = SessionCodec.encode(session);
        SetParams params = SetParams.setParams().nx().ex(seconds(ttl));
        return "OK".equals(call("SET NX", () -> redis.set(key(session), json, params)));
    }

    @Override
    public void store(Session session, Duration ttl) {
        String json = SessionCodec.encode(session);
        SetParams params = SetParams.setParams().ex(seconds(ttl));
        call("SET", () -> redis.set(key(session), json, params));
    }

    @Override
    public boolean replace(Session session, Duration ttl) {
        String json = SessionCodec.encode(session);
        SetParams params = SetParams.setParams().xx().ex(seconds(ttl));
        return "OK".equals(call("SET XX", () -> redis.set(key(session), json, params)));
    }

    @Override
    public Optional<Session> load(Session.Type type, String id, Duration ttl) {
        GetExParams params = GetExParams.getExParams().ex(seconds(ttl));
        String json = call("GETEX", () -> redis.getEx(key(type, id), params));
        return json == null ? Optional.empty() : Optional.of(SessionCodec.decode(json));
    }

    @Override
    public boolean delete(Session.Type type, String id) {
        return call("DEL", () -> redis.del(key(type, id))) > 0;
    }

    /**
     * {@code SET key url XX PX ttl}: one round trip while the record lives; when it is gone (expired, or Redis lost
     * its data), a second {@code SET key url PX ttl} brings it back.
     */
    @Override
    public boolean heartbeat(String replicaId, String url, Duration ttl) {
        String key = replicaKey(replicaId);
        long millis = Math.max(1, ttl.toMillis());
        if ("OK".equals(call("SET XX", () -> redis.set(key, url, SetParams.setParams().xx().px(millis))))) {
            return true;
        }
        call("SET", () -> redis.set(key, url, SetParams.setParams().px(millis)));
        return false;
    }

    @Override
    public boolean isAlive(String replicaId) {
        return call("EXISTS", () -> redis.exists(replicaKey(replicaId)));
    }

    @Override
    public void removeReplica(String replicaId) {
        call("DEL", () -> redis.del(replicaKey(replicaId)));
    }

    /**
     * The Redis key of a session: {@code prefix + type + ":" + id}, so that proxies of different kinds sharing one
     * Redis and one prefix keep their sessions apart.
     */
    public String key(Session.Type type, String sessionId) {
        return keyPrefix + type.wireName() + ":" + sessionId;
    }

    private String key(Session session) {
        return key(session.type(), session.id());
    }

    /** The Redis key of a replica's liveness record: {@code prefix + "replica:" + id}. */
    public String replicaKey(String replicaId) {
        return keyPrefix + "replica:" + replicaId;
    }

    /** Closes the connection pool, unless the client was handed in by the caller (who then owns it). */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && ownsClient) {
            redis.close();
        }
    }

    @Override
    public String toString() {
        return "RedisStorage[" + address + ", prefix " + keyPrefix + "]";
    }

    private <T> T call(String command, Supplier<T> operation) {
        if (closed.get()) {
            throw new SessionStorageException("RedisStorage for " + address + " is closed");
        }
        try {
            return operation.get();
        } catch (JedisConnectionException e) {
            dropIdleConnections();
            throw new SessionStorageException("Redis at " + address + " failed on " + command + ": " + e.getMessage(), e);
        } catch (JedisException e) {
            if (isNoLongerPrimary(e)) {
                // After a failover the address may name the new primary while pooled connections still reach the
                // old one, now a replica that refuses every write (GETEX included): start over on fresh ones.
                dropIdleConnections();
            }
            throw new SessionStorageException("Redis at " + address + " failed on " + command + ": " + e.getMessage(), e);
        }
    }

    /** A reply saying this connection's server cannot serve writes any more (demoted, or not yet in charge). */
    private static boolean isNoLongerPrimary(JedisException e) {
        String message = String.valueOf(e.getMessage());
        return message.startsWith("READONLY") || message.startsWith("MASTERDOWN") || message.startsWith("LOADING");
    }

    /**
     * After a connection failure the other idle pooled connections are most likely dead too (Redis restarted or a
     * network blip): drop them so that the next operations open fresh ones instead of failing one by one.
     * This keeps every load a single command (no validation PING on borrow).
     */
    private void dropIdleConnections() {
        if (redis instanceof RedisClient client && ownsClient) {
            try {
                client.getPool().clear();
            } catch (RuntimeException e) {
                LOG.debug("could not clear the Redis connection pool", e);
            }
        }
    }

    private static long seconds(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        long seconds = ttl.getSeconds();
        return ttl.getNano() == 0 ? seconds : seconds + 1;
    }

    /**
     * Options of {@link RedisStorage}. Defaults: {@code 127.0.0.1:6379}, database 0, no auth, no TLS, connect and
     * socket timeout 2 s, pool of 16 connections, pool wait 1 s, key prefix {@value #DEFAULT_KEY_PREFIX}.
     */
    public static final class Builder {
        String host = "127.0.0.1";
        int port = 6379;
        String user;
        String password;
        int database;
        boolean tls;
        Duration connectTimeout = Duration.ofSeconds(2);
        Duration socketTimeout = Duration.ofSeconds(2);
        int poolSize = 16;
        Duration poolWait = Duration.ofSeconds(1);
        private String keyPrefix = DEFAULT_KEY_PREFIX;
        private UnifiedJedis client;

        private Builder() {
        }

        /**
         * Address, credentials, database and TLS from one URI: {@code redis://[user:password@]host[:port][/db]};
         * {@code rediss://} turns TLS on.
         */
        public Builder uri(String uri) {
            return uri(RedisUris.parse(uri));
        }

        /** See {@link #uri(String)}. */
        public Builder uri(URI uri) {
            uri = RedisUris.withDefaultPort(Objects.requireNonNull(uri, "uri"), DEFAULT_PORT);
            HostAndPort hostAndPort = JedisURIHelper.getHostAndPort(uri);
            host = hostAndPort.getHost();
            port = hostAndPort.getPort();
            user = JedisURIHelper.getUser(uri);
            password = JedisURIHelper.getPassword(uri);
            if (JedisURIHelper.hasDbIndex(uri)) {
                database(JedisURIHelper.getDBIndex(uri));
            }
            tls = JedisURIHelper.isRedisSSLScheme(uri);
            return this;
        }

        public Builder host(String host) {
            this.host = requireText(host, "host");
            return this;
        }

        public Builder port(int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be 1-65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** ACL user name (Redis 6+). Default: none (the {@code default} user). */
        public Builder user(String user) {
            this.user = user;
            return this;
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        public Builder database(int database) {
            if (database < 0) {
                throw new IllegalArgumentException("database must be >= 0, got " + database);
            }
            this.database = database;
            return this;
        }

        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /** Time to open a connection. Default 2 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = requireMillis(timeout, "connectTimeout");
            return this;
        }

        /** Time to wait for a reply; a stalled Redis fails the operation after this. Default 2 s. */
        public Builder socketTimeout(Duration timeout) {
            this.socketTimeout = requireMillis(timeout, "socketTimeout");
            return this;
        }

        /** Maximum pooled connections. Default 16. */
        public Builder poolSize(int poolSize) {
            if (poolSize < 1) {
                throw new IllegalArgumentException("poolSize must be >= 1, got " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
        }

        /** Longest wait for a free pooled connection before the operation fails. Default 1 s; never unbounded. */
        public Builder poolWait(Duration wait) {
            this.poolWait = requireMillis(wait, "poolWait");
            return this;
        }

        /** Prefix of every key; must end with {@code ':'}. Default {@value #DEFAULT_KEY_PREFIX}. */
        public Builder keyPrefix(String keyPrefix) {
            requireText(keyPrefix, "keyPrefix");
            if (!keyPrefix.endsWith(":")) {
                throw new IllegalArgumentException("keyPrefix must end with ':', got '" + keyPrefix + "'");
            }
            this.keyPrefix = keyPrefix;
            return this;
        }

        /**
         * Uses a Jedis client built by the caller (e.g. {@code RedisSentinelClient} or {@code RedisClusterClient})
         * instead of the address options above. The caller keeps ownership: {@link RedisStorage#close()} leaves
         * it open.
         */
        public Builder client(UnifiedJedis client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /**
         * Connects and pings Redis.
         *
         * @throws SessionStorageException naming the address when Redis does not answer
         */
        /** host:port as configured so far. */
        String address() {
            return host + ":" + port;
        }

        public RedisStorage build() {
            boolean owns = client == null;
            String address = owns ? (tls ? "rediss://" : "redis://") + host + ":" + port + "/" + database
                    : client.getClass().getSimpleName();
            UnifiedJedis redis = owns ? RedisClients.pooled(this) : client;
            try {
                redis.ping();
            } catch (JedisException e) {
                if (owns) {
                    redis.close();
                }
                throw new SessionStorageException("Redis at " + address + " is unreachable: " + e.getMessage(), e);
            }
            LOG.info("session storage: Redis at {}, key prefix {}", address, keyPrefix);
            return new RedisStorage(redis, owns, keyPrefix, address);
        }


        private static String requireText(String value, String what) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(what + " must not be empty");
            }
            return value;
        }

        private static Duration requireMillis(Duration value, String what) {
            Objects.requireNonNull(value, what);
            if (value.toMillis() < 1 || value.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + " must be between 1 ms and ~24 days, got " + value);
            }
            return value;
        }
    }
}
