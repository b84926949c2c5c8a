import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * The local Neo4j for development, tests and CI: Neo4j Community 5.26 started
 * through the embedded DatabaseManagementServiceBuilder (the same engine as the
 * Neo4j server) with its Bolt connector on 127.0.0.1 and authentication on.
 *
 * Usage: java -cp CLASSPATH DevDb --home DIR --port N --password P [--pagecache 256m] [--parent-pid PID]
 *
 * With --parent-pid it stops itself when that process is gone (the test harness
 * passes its own pid, so a test binary killed by a timeout leaves no database behind).
 *
 * It writes DIR/devdb.pid while it runs, prints "devdb ready" once Bolt listens,
 * and shuts the database down cleanly on SIGTERM or SIGINT.
 */
public final class DevDb {
    public static void main(String[] args) throws Exception {
        Path home = null;
        int port = 7687;
        String password = null;
        String pagecache = "256m";
        long parentPid = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                die("missing value after " + a);
            }
            switch (a) {
                case "--home" -> home = Path.of(args[++i]).toAbsolutePath();
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--password" -> password = args[++i];
                case "--pagecache" -> pagecache = args[++i];
                case "--parent-pid" -> parentPid = Long.parseLong(args[++i]);
                default -> die("unknown argument " + a);
            }
        }
        if (home == null || password == null) {
            die("usage: DevDb --home DIR --port N --password P [--pagecache 256m] [--parent-pid PID]");
        }
        if (password.length() < 8) {
            die("the password must have at least 8 characters (Neo4j's minimum)");
        }
        Files.createDirectories(home);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, parseBytes(pagecache))
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Path pidFile = home.resolve("devdb.pid");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("devdb stopping");
            dbms.shutdown();
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException ignored) {
                // the pid file is advisory; a stale one is detected by the launcher
            }
            System.out.println("devdb stopped");
            stopped.countDown();
        }, "devdb-shutdown"));

        setPassword(dbms, password);
        Files.writeString(pidFile, Long.toString(ProcessHandle.current().pid()), StandardCharsets.UTF_8);
        System.out.println("devdb ready bolt://127.0.0.1:" + port + " home=" + home);
        System.out.flush();
        if (parentPid > 0) {
            watchParent(parentPid);
        }
        stopped.await();
    }

    /** Sets the neo4j user's password; the first start replaces Neo4j's default one. */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        try {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $p CHANGE NOT REQUIRED", Map.of("p", password));
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            if (!msg.contains("cannot be the same")) {
                throw e;
            }
        }
    }

    /** Exits (running the shutdown hook) once the given process has ended. */
    private static void watchParent(long pid) {
        Thread t = new Thread(() -> {
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.out.println("devdb: parent " + pid + " is gone");
            System.exit(0);
        }, "devdb-parent-watch");
        t.setDaemon(true);
        t.start();
    }

    private static long parseBytes(String s) {
        String t = s.trim().toLowerCase();
        long mult = 1;
        if (t.endsWith("k")) { mult = 1L << 10; t = t.substring(0, t.length() - 1); }
        else if (t.endsWith("m")) { mult = 1L << 20; t = t.substring(0, t.length() - 1); }
        else if (t.endsWith("g")) { mult = 1L << 30; t = t.substring(0, t.length() - 1); }
        return Long.parseLong(t) * mult;
    }

    private static void die(String msg) {
        System.err.println("devdb: " + msg);
        System.exit(2);
    }

    private DevDb() {
    }
}
