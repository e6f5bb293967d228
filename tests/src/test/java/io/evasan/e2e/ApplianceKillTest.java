package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing lost: the appliance runs in a child JVM; qemu-io streams writes over iSCSI; the child is
 * killed with SIGKILL at a random moment; after restart every write qemu-io saw acknowledged
 * ("wrote ... at offset X") reads back with its pattern. Kill points per run:
 * {@code -Devasan.kills=N} (CI: 2; tests/crash-appliance.sh runs many more).
 */
class ApplianceKillTest {
    private static final int LEN = 64 << 10;
    private static final int WRITES = 600;
    private static final Pattern ACK = Pattern.compile("^wrote (\\d+)/(\\d+) bytes at offset (\\d+)");

    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryAcknowledgedWriteAcrossKill9() throws Exception {
        Clients.require("qemu-io", "stdbuf");
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int kills = Integer.getInteger("evasan.kills", 2);
        System.out.println("ApplianceKillTest seed=" + seed + " kills=" + kills);
        Random rnd = new Random(seed);
        Path data = dir.resolve("data");
        // offset -> pattern of the newest acknowledged write there, across all rounds
        java.util.TreeMap<Long, Integer> acked = new java.util.TreeMap<>();
        for (int round = 0; round < kills; round++) {
            int port = Clients.freePort();
            Child child = Child.start(data, port);
            String url = "iscsi://127.0.0.1:" + port + "/" + EmbeddedAppliance.DEFAULT_IQN + "/0";
            verify(url, acked, "round " + round + " after restart (seed " + seed + ")");

            int base = 1 + (round * 37) % 200;
            List<String> cmds = new ArrayList<>();
            long[] offs = new long[WRITES];
            for (int i = 0; i < WRITES; i++) {
                offs[i] = (long) rnd.nextInt((int) ((256L << 20) / LEN)) * LEN;
                cmds.add("write -P " + ((base + i) % 250 + 1) + " " + offs[i] + " " + LEN);
            }
            List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "-f", "raw"));
            for (String c : cmds) {
                cmd.add("-c");
                cmd.add(c);
            }
            cmd.add(url);
            Process q = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            List<String> out = java.util.Collections.synchronizedList(new ArrayList<>());
            // kill when the k-th write is acknowledged: the workload is always still running
            int killAt = 20 + rnd.nextInt(WRITES / 2);
            CountDownLatch killPoint = new CountDownLatch(killAt);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(q.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        out.add(l);
                        if (l.startsWith("wrote ")) {
                            killPoint.countDown();
                        }
                    }
                } catch (IOException ignored) {
                    // client gone
                }
            });
            reader.start();
            assertTrue(killPoint.await(180, TimeUnit.SECONDS), "fewer than " + killAt + " writes acknowledged: " + out);
            child.kill9();
            // qemu-io prints line-buffered; what it acknowledged before the kill is already read
            if (!q.waitFor(10, TimeUnit.SECONDS)) {
                q.destroyForcibly();
            }
            q.waitFor();
            reader.join(5000);
            int n = 0;
            synchronized (out) {
                for (String l : out) {
                    Matcher m = ACK.matcher(l);
                    if (m.find()) {
                        long off = Long.parseLong(m.group(3));
                        // qemu-io runs its -c commands in order; the k-th ack is the k-th command
                        assertEquals(offs[n], off, "acknowledgements out of order");
                        acked.put(off, (base + n) % 250 + 1);
                        n++;
                    }
                }
            }
            System.out.println("round " + round + ": kill -9 at acknowledgement " + killAt + "; " + n + " of " + WRITES
                    + " writes acknowledged in all");
            assertTrue(n < WRITES, "the kill must land while writes are still being issued");
        }
        int port = Clients.freePort();
        Child last = Child.start(data, port);
        try {
            verify("iscsi://127.0.0.1:" + port + "/" + EmbeddedAppliance.DEFAULT_IQN + "/0", acked, "final (seed " + seed + ")");
        } finally {
            last.stop();
        }
    }

    private static void verify(String url, java.util.TreeMap<Long, Integer> acked, String when) throws Exception {
        if (acked.isEmpty()) {
            return;
        }
        List<String> reads = new ArrayList<>();
        acked.forEach((off, pat) -> reads.add("read -P " + pat + " " + off + " " + LEN));
        Clients.Result r = Clients.qemuIo(url, reads);
        assertEquals(acked.size(), r.count("read "), when + ": " + r);
        assertFalse(r.mentions("Pattern verification failed"), when + ": " + r);
    }

    /** The appliance in a child JVM, started with the same classpath and JVM flags as the tests. */
    static final class Child {
        private final Process process;

        private Child(Process p) {
            this.process = p;
        }

        static Child start(Path data, int port) throws Exception {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx1g");
            for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
                    cmd.add(a);
                }
            }
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("io.evasan.deploy.Appliance");
            cmd.add("--data-dir=" + data);
            cmd.add("--iscsi-port=" + port);
            cmd.add("--first-lun-size=" + (256L << 20));
            cmd.add("--mgmt-port=0");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            CountDownLatch running = new CountDownLatch(1);
            List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        log.add(l);
                        if (l.startsWith("evasan: running")) {
                            running.countDown();
                        }
                    }
                } catch (IOException ignored) {
                    // child gone
                }
            }, "appliance-child-log");
            t.setDaemon(true);
            t.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!running.await(200, TimeUnit.MILLISECONDS)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    t.join(2000);
                    throw new AssertionError("appliance did not start: " + String.join("\n", log));
                }
            }
            return new Child(p);
        }

        /** SIGKILL: no shutdown hook runs. */
        void kill9() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }

        /** SIGTERM: clean shutdown through the hook. */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }
}
