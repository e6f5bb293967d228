package io.evasan.sanhost;

import io.evasan.deploy.EmbeddedAppliance;
import io.evasan.nsc.api.DrillReport;
import io.evasan.nsc.api.FailoverMode;
import io.evasan.nsc.api.NscId;
import io.evasan.nsc.lun.LunRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A host on the simulated FC fabric ({@code sanhost}: two paths per controller, ALUA path choice, an NBD export for
 * qemu-io) against the real embedded appliance: qemu-io writes patterns to a LUN owned by NSC A (the quorum-lease
 * holder) through the fabric; at a seeded random acknowledgement A is killed; B claims the lease, takes the LUN and
 * A's N_Ports over, and qemu-io carries on without an error. Every acknowledged write reads back through the survivor,
 * and again after A returns and the LUN fails back. Prints the time from the kill to the next acknowledged write.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SanhostApplianceFailoverTest {
    private static final String HOST = "10:00:00:00:c9:bb:00:01";
    private static final int CHUNKS = 96;

    @TempDir
    Path dir;

    private static List<String> qemuIo(int nbdPort, List<String> commands) {
        List<String> args = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "-f", "raw"));
        for (String c : commands) {
            args.add("-c");
            args.add(c);
        }
        args.add("nbd://127.0.0.1:" + nbdPort + "/lun0");
        return args;
    }

    private static List<String> ops(String verb, int n) {
        List<String> c = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            c.add("%s -P 0x%02x %d 64k".formatted(verb, 0x20 + i, (long) i * 65536));
        }
        return c;
    }

    private static long count(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix + " 65536/65536 bytes")).count();
    }

    @Test
    void shouldCarryTheHostsWritesThroughAKillOfTheLeaseHolderOnTheFabric() throws Exception {
        Assumptions.assumeTrue(new File("/usr/bin/qemu-io").canExecute(), "qemu-io not installed");
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        System.out.println("SanhostApplianceFailoverTest seed=" + seed + " (rerun with -Devasan.seed=" + seed + ")");
        Random rnd = new Random(seed);
        try (EmbeddedAppliance app = EmbeddedAppliance.start(EmbeddedAppliance.Options.forTest(dir.resolve("data"))
                .withHeartbeatTimeout(EmbeddedAppliance.DEFAULT_HEARTBEAT_TIMEOUT_MS))) {
            LunRecord lun = app.controller().listLuns().get(0);
            app.pair().setPreference(lun.id(), NscId.A, FailoverMode.FAILOVER_FAILBACK);
            assertEquals(NscId.A, app.pair().ownership(lun.id()).owner());
            Sanhost s = new Sanhost();
            s.fabric = "127.0.0.1:" + app.fabricPort();
            s.wwpns = List.of(HOST);
            s.nbdPort = 0;
            s.controlPort = 0;
            s.ioTimeoutMs = 2000;
            s.failoverWindowMs = 30000;
            s.start();
            try (s) {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (s.paths().lines().filter(l -> l.contains(" -> ")).count() < 4) {
                    if (System.nanoTime() > end) {
                        fail("sanhost did not find four paths: " + s.paths());
                    }
                    Thread.sleep(50);
                }
                int killAt = 4 + rnd.nextInt(CHUNKS / 2);
                Process p = new ProcessBuilder(qemuIo(s.nbdPort(), ops("write", CHUNKS))).redirectErrorStream(true).start();
                StringBuilder out = new StringBuilder();
                CountDownLatch reached = new CountDownLatch(killAt);
                AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
                AtomicLong firstAfter = new AtomicLong(-1);
                Thread reader = new Thread(() -> {
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String l; (l = r.readLine()) != null; ) {
                            long now = System.nanoTime();
                            synchronized (out) {
                                out.append(l).append('\n');
                            }
                            if (l.startsWith("wrote")) {
                                if (now > killedAt.get() && firstAfter.get() < 0) {
                                    firstAfter.set(now - killedAt.get());
                                }
                                reached.countDown();
                            }
                        }
                    } catch (Exception e) {
                        // qemu-io ended
                    }
                });
                reader.start();
                assertTrue(reached.await(60, TimeUnit.SECONDS), "qemu-io did not get going: " + out);
                killedAt.set(System.nanoTime());
                DrillReport r = app.pair().kill(NscId.A);
                assertTrue(p.waitFor(90, TimeUnit.SECONDS), "qemu-io did not finish after the kill: " + out);
                reader.join(5000);
                String written = out.toString();
                System.out.printf("kill of A at write %d: %s; first write acknowledged to the host after the kill: "
                        + "%.0f ms%n", killAt, r, firstAfter.get() / 1e6);
                assertEquals(0, p.exitValue(), written);
                assertFalse(written.contains("failed") || written.contains("error"), written);
                assertEquals(CHUNKS, count(written, "wrote"), written);
                assertEquals(NscId.B, app.pair().ownership(lun.id()).owner());
                assertEquals("holds generation 2", app.pair().leaseState(NscId.B));
                System.out.println("paths after the kill:\n" + s.paths());

                String read = runQemuIo(s.nbdPort(), ops("read", CHUNKS));
                assertEquals(CHUNKS, count(read, "read"), "every acknowledged write reads back through B: " + read);

                List<Integer> back = app.pair().restart(NscId.A);
                assertTrue(back.contains(lun.id()), "the LUN fails back to A: " + back);
                read = runQemuIo(s.nbdPort(), ops("read", CHUNKS));
                assertEquals(CHUNKS, count(read, "read"), "and again after A returned: " + read);
            }
        }
    }

    private static String runQemuIo(int nbdPort, List<String> commands) throws Exception {
        Process p = new ProcessBuilder(qemuIo(nbdPort, commands)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertFalse(out.contains("Pattern verification failed"), out);
        return out;
    }
}
