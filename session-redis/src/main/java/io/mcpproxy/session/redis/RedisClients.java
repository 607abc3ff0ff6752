package io.mcpproxy.session.redis;

import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/** The pooled Jedis client a {@link RedisStorage} builds for itself from its options. */
final class RedisClients {

    private RedisClients() {
    }

    /**
     * A pool of {@code poolSize} connections, each command bounded by the socket timeout, a borrow by the pool wait;
     * no validation PINGs, so a load stays exactly one command (dead connections are dropped on failure instead).
     */
    static UnifiedJedis pooled(RedisStorage.Builder options) {
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis((int) options.connectTimeout.toMillis())
                .socketTimeoutMillis((int) options.socketTimeout.toMillis())
                .database(options.database)
                .ssl(options.tls)
                .clientName("mcp-transport-proxy")
                .clientSetInfoConfig(ClientSetInfoConfig.DISABLED);
        if (options.user != null) {
            config.user(options.user);
        }
        if (options.password != null) {
            config.password(options.password);
        }
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(options.poolSize);
        pool.setMaxIdle(options.poolSize);
        pool.setMinIdle(0);
        pool.setBlockWhenExhausted(true);
        pool.setMaxWait(options.poolWait);
        // No validation PINGs: a load stays exactly one command. Dead connections are dropped on failure.
        pool.setTestOnBorrow(false);
        pool.setTestWhileIdle(false);
        return RedisClient.builder()
                .hostAndPort(options.host, options.port)
                .clientConfig(config.build())
                .poolConfig(pool)
                .build();
    }
}
