package io.evasan.sanhost;

import io.evasan.fabric.link.Link;
import io.evasan.scsi.alua.AccessState;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * sanhost against a two-controller cell on the fabric: discovery and ALUA path choice, qemu-io over
 * nbd:// through the fabric, a path cut during writes, the optimized group lost and back
 * (failover to the non-optimized group, failback), an ALUA state change by unit attention, and
 * {@code sanhost paths} showing each change.
 */
class SanhostTest {
    static final String HOST = "10:00:00:00:c9:aa:00:01";
    static final int CHUNK = 64 << 10;

    @BeforeAll
    static void qemuIo() {
        Assumptions.assumeTrue(new File("/usr/bin/qemu-io").canExecute(), "qemu-io not installed");
    }

    static Sanhost start(SanCell cell, String... wwpns) throws Exception {
        Sanhost s = new Sanhost();
        s.fabric = cell.fabricAddress();
        s.wwpns = List.of(wwpns);
        s.nbdPort = 0;
        s.controlPort = 0;
        s.ioTimeoutMs = 2000;
        s.failoverWindowMs = 20000;
        s.start();
        return s;
    }

    /** What {@code sanhost paths --control-port N} prints. */
    static String pathsCommand(Sanhost s) {
        StringWriter w = new StringWriter();
        int rc = new CommandLine(new Sanhost()).setOut(new PrintWriter(w)).execute("paths", "--control-port",
                String.valueOf(s.controlPort()));
        assertEquals(0, rc);
        return w.toString();
    }

    static List<String> qemuIoArgs(int nbdPort, List<String> commands) {
        List<String> args = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "-f", "raw"));
        for (String c : commands) {
            args.add("-c");
            args.add(c);
        }
        args.add("nbd://127.0.0.1:" + nbdPort + "/lun0");
        return args;
    }

    static String qemuIo(Sanhost s, List<String> commands) throws Exception {
        return qemuIo(s.nbdPort(), commands);
    }

    static String qemuIo(int nbdPort, List<String> commands) throws Exception {
        Process p = new ProcessBuilder(qemuIoArgs(nbdPort, commands)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(25, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    static List<String> writes(int from, int n) {
        List<String> c = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            c.add("write -P 0x%02x %d 64k".formatted(0x10 + i, (long) i * CHUNK));
        }
        return c;
    }

    static List<String> verifies(int from, int n) {
        List<String> c = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            c.add("read -P 0x%02x %d 64k".formatted(0x10 + i, (long) i * CHUNK));
        }
        return c;
    }

    static void assertAllDone(String out, String verb, int n) {
        assertFalse(out.contains("failed") || out.contains("error"), out);
        assertEquals(n, out.lines().filter(l -> l.startsWith(verb + " 65536/65536 bytes")).count(), out);
    }

    /**
     * Runs qemu-io with {@code commands}, calling {@code midway} once {@code after} of them were
     * acknowledged; returns the output.
     */
    static String qemuIoWithFault(Sanhost s, List<String> commands, int after, Runnable midway) throws Exception {
        return qemuIoWithFault(s.nbdPort(), commands, after, midway);
    }

    static String qemuIoWithFault(int nbdPort, List<String> commands, int after, Runnable midway) throws Exception {
        Process p = new ProcessBuilder(qemuIoArgs(nbdPort, commands)).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        CountDownLatch reached = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                int done = 0;
                for (String l; (l = r.readLine()) != null; ) {
                    synchronized (out) {
                        out.append(l).append('\n');
                    }
                    if (l.startsWith("wrote") && ++done == after) {
                        reached.countDown();
                    }
                }
            } catch (Exception e) {
                // the process ended
            }
        });
        reader.start();
        assertTrue(reached.await(20, TimeUnit.SECONDS), "qemu-io did not get going: " + out);
        midway.run();
        assertTrue(p.waitFor(25, TimeUnit.SECONDS), out.toString());
        reader.join(5000);
        assertEquals(0, p.exitValue(), out.toString());
        return out.toString();
    }

    static void waitUntil(BooleanSupplier ok, java.util.function.Supplier<String> what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("not reached: " + what.get());
            }
            Thread.sleep(20);
        }
    }

    /** The path line of relative target port {@code rtp} in a paths view. */
    static String path(String view, int rtp) {
        return view.lines().filter(l -> l.contains(" rtp=" + rtp + " ")).findFirst().orElse("");
    }

    static long ios(String view, int rtp) {
        Matcher m = Pattern.compile("ios=(\\d+)").matcher(path(view, rtp));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static String group(String view, int tpg) {
        return view.lines().filter(l -> l.contains("-+- tpg=" + tpg + " ")).findFirst().orElse("");
    }

    @Test
    void shouldFindOneLuWithFourPathsAndSendTheIoToTheOptimizedGroup() throws Exception {
        try (SanCell cell = new SanCell(io.evasan.fabric.switching.Wwn.parse(HOST)); Sanhost s = start(cell, HOST)) {
            String view = pathsCommand(s);
            assertEquals(1, view.lines().filter(l -> l.startsWith("lun0 (naa.")).count(), view);
            assertEquals(4, view.lines().filter(l -> l.contains(" -> ")).count(), view);
            assertTrue(group(view, 1).contains("status=active alua=active/optimized pref"), view);
            assertTrue(group(view, 2).contains("status=enabled alua=active/non-optimized"), view);
            for (int rtp = 1; rtp <= 4; rtp++) {
                assertTrue(path(view, rtp).contains("active ready"), view);
            }
            assertTrue(view.contains("size=16777216"), view);

            String out = qemuIo(s, concat(writes(0, 16), verifies(0, 16)));
            assertAllDone(out, "wrote", 16);
            assertAllDone(out, "read", 16);
            view = pathsCommand(s);
            assertTrue(ios(view, 1) > 0 && ios(view, 2) > 0, "round robin within the optimized group\n" + view);
            assertEquals(0, ios(view, 3) + ios(view, 4), "nothing through the non-optimized group\n" + view);
        }
    }

    @Test
    void shouldKeepWritingThroughAPathCutAndReadBackEveryAcknowledgedWrite() throws Exception {
        try (SanCell cell = new SanCell(io.evasan.fabric.switching.Wwn.parse(HOST)); Sanhost s = start(cell, HOST)) {
            String out = qemuIoWithFault(s, writes(0, 64), 8, () -> cell.cut(0));
            assertAllDone(out, "wrote", 64);
            String view = pathsCommand(s);
            assertTrue(path(view, 1).contains("failed faulty"), view);
            assertTrue(path(view, 2).contains("active ready"), view);
            assertAllDone(qemuIo(s, verifies(0, 64)), "read", 64);

            cell.restore(0);
            waitUntil(() -> path(s.paths(), 1).contains("active ready"), s::paths);
            long before = ios(s.paths(), 1);
            assertAllDone(qemuIo(s, verifies(0, 16)), "read", 16);
            assertTrue(ios(s.paths(), 1) > before, "the path is used again\n" + s.paths());
        }
    }

    @Test
    void shouldFailOverToTheNonOptimizedGroupWhenTheOptimizedOneGoesAndFailBack() throws Exception {
        try (SanCell cell = new SanCell(io.evasan.fabric.switching.Wwn.parse(HOST)); Sanhost s = start(cell, HOST)) {
            String out = qemuIoWithFault(s, writes(0, 64), 8, () -> {
                cell.cut(0);
                cell.cut(1);
            });
            assertAllDone(out, "wrote", 64);
            String view = pathsCommand(s);
            assertTrue(path(view, 1).contains("failed faulty") && path(view, 2).contains("failed faulty"), view);
            assertTrue(group(view, 2).contains("status=active"), view);
            assertTrue(group(view, 1).contains("status=enabled"), view);
            assertTrue(ios(view, 3) > 0 && ios(view, 4) > 0, view);
            assertAllDone(qemuIo(s, verifies(0, 64)), "read", 64);

            cell.restore(0);
            cell.restore(1);
            waitUntil(() -> path(s.paths(), 1).contains("active ready") && path(s.paths(), 2).contains("active ready"),
                    s::paths);
            view = pathsCommand(s);
            assertTrue(group(view, 1).contains("status=active"), view);
            assertTrue(group(view, 2).contains("status=enabled"), view);
            long g2 = ios(view, 3) + ios(view, 4);
            assertAllDone(qemuIo(s, concat(writes(64, 16), verifies(0, 80))), "read", 80);
            String after = pathsCommand(s);
            assertEquals(g2, ios(after, 3) + ios(after, 4), "failed back: nothing more through group 2\n" + after);
            assertTrue(ios(after, 1) > 0 && ios(after, 2) > 0, after);
        }
    }

    @Test
    void shouldRetryOnAnotherPathWhenAPortStopsAnsweringWithoutAnRscn() throws Exception {
        try (SanCell cell = new SanCell(io.evasan.fabric.switching.Wwn.parse(HOST)); Sanhost s = start(cell, HOST)) {
            // frames to target port 1 vanish, the link stays up: no RSCN, only timeouts (then ABTS) tell
            Link.Direction toTarget = Link.Direction.B_TO_A;
            String out = qemuIoWithFault(s, writes(0, 32), 4, () -> cell.links.get(0).faults(toTarget).blackHole(true));
            assertAllDone(out, "wrote", 32);
            assertTrue(path(s.paths(), 1).contains("failed faulty"), s.paths());
            assertAllDone(qemuIo(s, verifies(0, 32)), "read", 32);

            cell.links.get(0).faults(toTarget).blackHole(false);
            waitUntil(() -> path(s.paths(), 1).contains("active ready"), s::paths);
            assertAllDone(qemuIo(s, verifies(0, 32)), "read", 32);
        }
    }

    @Test
    void shouldCarryOnThroughTheOtherHbaWhenOneLosesItsLinkAndBringItBack() throws Exception {
        String host2 = "10:00:00:00:c9:aa:00:02";
        try (SanCell cell = new SanCell(io.evasan.fabric.switching.Wwn.parse(HOST), io.evasan.fabric.switching.Wwn.parse(host2));
             Sanhost s = start(cell, HOST, host2)) {
            assertEquals(8, s.paths().lines().filter(l -> l.contains(" -> ")).count(), s.paths());
            Hba hba0 = s.multipath().hbas().stream().filter(h -> h.name().equals("hba0")).findFirst().orElseThrow();
            int before = hba0.port.portId();
            String out = qemuIoWithFault(s, writes(0, 48), 6, hba0.end::detach);
            assertAllDone(out, "wrote", 48);
            assertAllDone(qemuIo(s, verifies(0, 48)), "read", 48);
            // the HBA reconnects to the switch (a new switch port, so a new N_Port ID), logs in and finds its paths again
            waitUntil(() -> s.paths().lines().filter(l -> l.contains("active ready")).count() == 8, s::paths);
            assertNotEquals(before, hba0.port.portId());
            assertTrue(pathsCommand(s).contains("hba0 10:00:00:00:c9:aa:00:01 port %06x link up".formatted(hba0.port.portId())));
            long used = s.paths().lines().filter(l -> l.contains(" hba0 ")).mapToLong(l -> {
                Matcher m = Pattern.compile("ios=(\\d+)").matcher(l);
                return m.find() ? Long.parseLong(m.group(1)) : 0;
            }).sum();
            assertAllDone(qemuIo(s, verifies(0, 48)), "read", 48);
            long now = s.paths().lines().filter(l -> l.contains(" hba0 ")).mapToLong(l -> {
                Matcher m = Pattern.compile("ios=(\\d+)").matcher(l);
                return m.find() ? Long.parseLong(m.group(1)) : 0;
            }).sum();
            assertTrue(now > used, "hba0 carries I/O again\n" + s.paths());
        }
    }

    @Test
    void shouldReReadTheGroupsOnAnAsymmetricAccessStateChange() throws Exception {
        try (SanCell cell = new SanCell(io.evasan.fabric.switching.Wwn.parse(HOST)); Sanhost s = start(cell, HOST)) {
            assertAllDone(qemuIo(s, writes(0, 4)), "wrote", 4);
            cell.states(AccessState.ACTIVE_NON_OPTIMIZED, AccessState.ACTIVE_OPTIMIZED, 2);
            assertAllDone(qemuIo(s, concat(writes(4, 8), verifies(0, 12))), "read", 12);
            String view = pathsCommand(s);
            assertTrue(group(view, 2).contains("status=active alua=active/optimized pref"), view);
            assertTrue(group(view, 1).contains("status=enabled alua=active/non-optimized"), view);
            long g1 = ios(view, 1) + ios(view, 2);
            assertAllDone(qemuIo(s, verifies(0, 12)), "read", 12);
            String after = pathsCommand(s);
            assertEquals(g1, ios(after, 1) + ios(after, 2), "the new optimized group takes the I/O\n" + after);
        }
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> c = new ArrayList<>(a);
        c.addAll(b);
        return c;
    }
}
