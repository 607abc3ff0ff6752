package io.mcpproxy.session.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.clients.jedis.Jedis;

/**
 * Starts a private {@code redis-server} on a free loopback port for a test class and kills it afterwards, so tests
 * never touch a Redis that happens to run on the machine. Tests may {@link #kill()}, {@link #restart()},
 * {@link #pause()} and {@link #resume()} it to prove failure handling.
 *
 * <p>The binary is {@code redis-server} from the PATH, or the {@code REDIS_SERVER} environment variable.
 *
 * <pre>{@code @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();}</pre>
 */
public final class RedisServerExtension implements BeforeAllCallback, AfterAllCallback {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(15);

    private Process process;
    private int port;
    private Path workDir;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        workDir = Files.createTempDirectory("mcp-proxy-redis-");
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) { // another process may grab the free port first
            port = freeLoopbackPort();
            try {
                start();
                return;
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (process != null && process.isAlive()) {
            resume();
        }
        kill();
        if (workDir != null) {
            try (var files = Files.walk(workDir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(path -> path.toFile().delete());
            }
        }
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    /** {@code redis://127.0.0.1:<port>} */
    public String uri() {
        return "redis://" + host() + ":" + port;
    }

    /** A plain Jedis connection for checks behind the storage's back (TTL, INFO, raw keys). Close it. */
    public Jedis rawClient() {
        return new Jedis(host(), port, 2_000);
    }

    /** SIGKILL: Redis disappears at once, as in a crash; the port refuses connections. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("redis-server did not die within 10 s");
            }
        }
    }

    /** Starts a fresh (empty) Redis on the same port after {@link #kill()}. */
    public void restart() throws IOException, InterruptedException {
        kill();
        start();
    }

    /** SIGSTOP: Redis keeps its sockets open but answers nothing, like a stalled server. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " failed");
        }
    }

    private void start() throws IOException, InterruptedException {
        String binary = System.getenv().getOrDefault("REDIS_SERVER", "redis-server");
        Path log = workDir.resolve("redis-" + port + ".log");
        List<String> command = List.of(binary,
                "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", workDir.toString(),
                "--protected-mode", "yes", "--daemonize", "no");
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start '" + binary + "': install redis-server or set REDIS_SERVER", e);
        }
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited on port " + port + ": " + Files.readString(log));
            }
            try (Jedis jedis = new Jedis(host(), port, 200)) {
                if ("PONG".equals(jedis.ping())) {
                    return;
                }
            } catch (RuntimeException notYet) {
                Thread.sleep(20);
            }
        }
        process.destroyForcibly();
        throw new IOException("redis-server on port " + port + " did not answer PING within " + READY_TIMEOUT);
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
