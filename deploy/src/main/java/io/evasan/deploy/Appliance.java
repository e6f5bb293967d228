package io.evasan.deploy;

import io.evasan.error.StorageException;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * The embedded appliance launcher: one command that opens the pool under the data directory
 * (creating the default pool of sparse-file drives on first start), prints its state, and keeps
 * serving until stopped. Everything it starts binds 127.0.0.1 unless configured otherwise.
 */
@Command(name = "evasan", mixinStandardHelpOptions = true, version = "evasan 0.1.0",
        description = "Runs the embedded SAN appliance over a pool of drives under --data-dir.")
public final class Appliance implements Callable<Integer> {

    @Option(names = "--data-dir", defaultValue = "data",
            description = "State directory: drives, pool list, metadata (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--status", description = "Print the pool state and exit instead of serving.")
    boolean statusOnly;

    public static void main(String[] args) {
        int rc = new CommandLine(new Appliance()).execute(args);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(dataDir);
        boolean firstStart = !Pools.exists(dataDir);
        Pool pool;
        try {
            pool = Pools.openOrCreate(dataDir, PoolSpec.embeddedDefault());
        } catch (StorageException e) {
            System.err.println("evasan: cannot open the pool in " + dataDir.toAbsolutePath() + ": " + e.getMessage()
                    + " [" + e.code() + "]");
            return 2;
        }
        System.out.println(firstStart
                ? "evasan: created a new pool in " + dataDir.toAbsolutePath()
                : "evasan: opened the pool in " + dataDir.toAbsolutePath());
        System.out.println(pool.describe());
        if (statusOnly) {
            pool.close();
            return 0;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            pool.close();
            stopped.countDown();
        }, "evasan-shutdown"));
        System.out.println("evasan: running; stop with Ctrl-C");
        stopped.await();
        return 0;
    }
}
