package io.evasan.sharing;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.raid.ChildJvm;
import io.evasan.raid.Pool;
import io.evasan.sharing.impl.SharingTreesImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * kill -9 test over the real mapping: a child JVM ({@link SharingCrashChild}) writes (with CFW),
 * snapshots, snapclones (BGCOPY in the background) and deletes, printing each acknowledged
 * operation; it is SIGKILLed at a random moment; the trees are reopened here and every disk must
 * read exactly what the acknowledged operations say (the one unacknowledged operation may show
 * either outcome, per 512-byte sector for a write). Repeated on the same pool
 * ({@code -Devasan.crash.iterations=N}, default 3).
 */
class SharingCrashTest {
    private static final int BYTES = SharingCrashChild.SEGS * SharingCrashChild.SEG;
    /** Every WRITE the children began (diagnostics: whose data a wrong read shows). */
    private static final List<String> ALL_WRITES = Collections.synchronizedList(new ArrayList<>());

    @TempDir
    Path dir;

    /**
     * Random kill points: {@code -Devasan.crash.iterations=N} (default 3, the CI run), op mix
     * {@code -Devasan.crash.ops} (default WSDCRU), {@code -Devasan.seed}.
     */
    @Test
    void shouldKeepTreesConsistentAndAcknowledgedWritesAfterKill9() throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int iterations = Integer.getInteger("evasan.crash.iterations", 3);
        System.out.println("SharingCrashTest seed=" + seed + " iterations=" + iterations);
        Random rnd = new Random(seed);
        Map<Long, byte[]> model = new HashMap<>();
        int totalAcks = 0;
        for (int it = 0; it < iterations; it++) {
            totalAcks += iteration(seed, rnd, it, model, System.getProperty("evasan.crash.ops", "WSDCRU"), -1);
        }
        assertTrue(totalAcks > 0, "the child acknowledged nothing");
    }

    /**
     * The same with snapclones into a second disk group ({@link CrossGroupSnapcloneTest}): a LUN alone in
     * its tree is cloned into dg1 (other snapclones and snapshots are refused while that one copies), and
     * the kill may hit CFW copies into the clone, BGCOPY or the clone leaving its tree.
     */
    @Test
    void shouldKeepCrossGroupSnapclonesConsistentAfterKill9() throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int iterations = Integer.getInteger("evasan.crash.iterations", 3);
        System.out.println("SharingCrashTest cross-group seed=" + seed + " iterations=" + iterations);
        Random rnd = new Random(seed);
        Map<Long, byte[]> model = new HashMap<>();
        crossGroup = true;
        int totalAcks = 0;
        for (int it = 0; it < iterations; it++) {
            // no snapshots: the LUN stays alone in its tree, so its snapclones go to the other group
            totalAcks += iteration(seed, rnd, it, model, System.getProperty("evasan.crash.ops", "WCDU"), -1);
        }
        assertTrue(totalAcks > 0, "the child acknowledged nothing");
    }

    /** Pool of two disk groups, snapclones into the second (set by the cross-group test). */
    private boolean crossGroup;

    /**
     * Regression test for the one defect this test ever found (CRASH-DEFECT.md): the child runs a
     * fixed number of operations, writes their lines, then stalls; the parent has read none of its
     * output when it kills it. Every operation the child wrote must be in the model, and every disk
     * must read what they say. With the child's stdout read from a pipe after
     * {@link Process#destroyForcibly()}, the lines were lost and the last operations' (correct) data
     * looked like random corruption.
     */
    @Test
    void shouldVerifyEveryOperationTheChildWroteBeforeTheKillEvenIfTheParentReadNone() throws Exception {
        long seed = Long.getLong("evasan.seed", 4L);
        Random rnd = new Random(seed);
        Map<Long, byte[]> model = new HashMap<>();
        int ops = 120;
        int acks = iteration(seed, rnd, 0, model, "WSD", ops);
        // ops answered (ACK or NACK) = ops run; the first ACK is the LUN's creation
        assertEquals(ops + 1, acks + lastNacks, "seed=" + seed + ": operations the parent saw");
    }

    /**
     * One child run on the shared pool: start, kill (after a random delay, or once it has stalled
     * after {@code stallAfter} operations), fold its lines into {@code model}, reopen and verify.
     * Returns the number of acknowledged operations.
     */
    private int iteration(long seed, Random rnd, int it, Map<Long, byte[]> model, String opMix, int stallAfter)
            throws Exception {
        Path poolDir = dir.resolve("pool");
        dirForDiagnostics = dir;
        Path stateDir = dir.resolve("state");
        String ctx = "seed=" + seed + " iteration=" + it;
        ChildJvm.Builder cmd = ChildJvm.of(SharingCrashChild.class).heap("384m")
                .jvmArgs("-Devasan.crash.stepBgcopy=" + Boolean.getBoolean("evasan.crash.stepBgcopy"),
                        "-Devasan.crash.noReserve=" + Boolean.getBoolean("evasan.crash.noReserve"),
                        "-Devasan.crash.ops=" + opMix,
                        "-Devasan.crash.selfCheck=" + Boolean.getBoolean("evasan.crash.selfCheck"),
                        "-Devasan.crash.invCheck=" + Boolean.getBoolean("evasan.crash.invCheck"),
                        "-Devasan.crash.stallAfter=" + stallAfter,
                        "-Devasan.crash.crossGroup=" + crossGroup)
                .args(poolDir.toString(), stateDir.toString(), Long.toString(rnd.nextLong()), Integer.toString(it + 1))
                .output(dir.resolve("child-" + it + ".out"));
        long delay;
        List<String> lines;
        try (ChildJvm child = cmd.start()) {
            if (stallAfter < 0) {
                assertTrue(child.awaitLine("READY", 120_000), ctx + ": child did not start: " + child.lines());
                delay = 300 + rnd.nextInt(2000);
                Thread.sleep(delay);
            } else {
                assertTrue(child.awaitLine("STALLED", 180_000), ctx + ": child did not reach " + stallAfter + " ops: "
                        + child.lines());
                delay = -1;
            }
            lines = child.killAndCollect();
        }
        java.nio.file.Files.write(Path.of("target", "sharing-crash-child-" + it + ".log"), lines);

        for (String l : lines) {
            if (l.startsWith("CHILDBAD")) {
                fail(ctx + ": the child saw a wrong read before the kill: " + l);
            }
        }
        String[] inFlight = null;
        int acks = 0;
        lastNacks = 0;
        for (String l : lines) {
            String[] f = l.split(" ");
            if (f[0].equals("BEGIN") && f.length > 1 && f[1].equals("WRITE")) {
                ALL_WRITES.add("it" + it + " " + l);
            }
            switch (f[0]) {
                case "BEGIN" -> inFlight = f;
                case "NACK" -> {
                    inFlight = null;
                    lastNacks++;
                }
                case "ACK" -> {
                    apply(model, f);
                    inFlight = null;
                    acks++;
                }
                default -> {
                }
            }
        }
        System.out.println(ctx + ": killed " + (delay < 0 ? "stalled" : "after " + delay + " ms") + ", " + acks
                + " acks, in flight: " + (inFlight == null ? "none" : String.join(" ", inFlight)));
        io.micrometer.core.instrument.simple.SimpleMeterRegistry reg = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        try (Pool pool = crossGroup ? CrossGroupSnapcloneTest.pool(poolDir, 128, 128) : MappingIntegrationTest.pool(poolDir, 128);
             Mapping m = Mappings.open(pool, stateDir, MappingOptions.defaults().withRegistry(reg));
             SharingTreesImpl st = new SharingTreesImpl(MappingIntegrationTest.maps(pool, m),
                     SharingConfig.defaults().withBackground(false), SharingStats.standalone())) {
            // no space leaked by the kill: every RStore of the disk group is named by an RSD slot
            assertEquals(pool.diskGroups().stream().mapToLong(g -> g.rsdIds().size()).sum(),
                    (long) reg.get("evasan.mapping.rstores").gauge().value(),
                    ctx + ": RStores of the disk group vs RStores the mapping names");
            StringBuilder trees = new StringBuilder();
            for (long d : st.disks()) {
                if (st.isValid(d) && st.chain(d).get(0) == d) {
                    trees.append(' ').append(st.chain(d)).append(st.kind(st.chain(d).get(st.chain(d).size() - 1)));
                }
            }
            java.nio.file.Files.writeString(Path.of("target", "sharing-crash-trees-" + it + ".txt"), trees.toString());
            verify(st, model, inFlight, ctx);
        }
        return acks;
    }

    private static void apply(Map<Long, byte[]> model, String[] f) {
        switch (f[1]) {
            case "CREATE" -> model.put(Long.parseLong(f[2]), new byte[BYTES]);
            case "SNAP", "CLONE" -> model.put(Long.parseLong(f[3]), model.get(Long.parseLong(f[2])).clone());
            case "DEL" -> model.remove(Long.parseLong(f[2]));
            case "UNMAP" -> java.util.Arrays.fill(model.get(Long.parseLong(f[2])), (int) Long.parseLong(f[3]),
                    (int) (Long.parseLong(f[3]) + Long.parseLong(f[4])), (byte) 0);
            case "ROLLBACK" -> model.put(Long.parseLong(f[2]), model.get(Long.parseLong(f[3])).clone());
            case "WRITE" -> {
                long off = Long.parseLong(f[3]);
                int len = Integer.parseInt(f[4]);
                byte[] b = new byte[len];
                SharingCrashChild.fill(b, Long.parseLong(f[5]));
                System.arraycopy(b, 0, model.get(Long.parseLong(f[2])), (int) off, len);
            }
            default -> fail("unknown op " + String.join(" ", f));
        }
    }

    /** Which logged write produced the sector at {@code at} of {@code got} (diagnostics). */
    private static String whose(byte[] got, int at) {
        StringBuilder sb = new StringBuilder();
        for (String w : new ArrayList<>(ALL_WRITES)) {
            String[] f = w.split(" ");
            int len = Integer.parseInt(f[5]);
            byte[] b = new byte[len];
            SharingCrashChild.fill(b, Long.parseLong(f[6]));
            for (int j = 0; j + 512 <= len; j += 512) {
                if (java.util.Arrays.equals(b, j, j + 512, got, at, at + 512)) {
                    sb.append('[').append(w).append(" at byte ").append(j).append(']');
                }
            }
        }
        if (sb.length() == 0) {
            // not sector-aligned: look for the sector's first 32 bytes at any byte position of the
            // writes of the last three iterations
            List<String> all = new ArrayList<>(ALL_WRITES);
            String last = all.isEmpty() ? "it0" : all.get(all.size() - 1).split(" ")[0];
            int lastIt = Integer.parseInt(last.substring(2));
            for (String w : all) {
                String[] f = w.split(" ");
                if (Integer.parseInt(f[0].substring(2)) < lastIt - 2) {
                    continue;
                }
                int len = Integer.parseInt(f[5]);
                byte[] b = new byte[len];
                SharingCrashChild.fill(b, Long.parseLong(f[6]));
                for (int j = 0; j + 32 <= len; j++) {
                    if (b[j] == got[at] && java.util.Arrays.equals(b, j, j + 32, got, at, at + 32)) {
                        sb.append("[shifted: ").append(w).append(" at byte ").append(j).append(']');
                    }
                }
            }
        }
        return sb.length() == 0 ? "no logged write (any byte shift, last 3 iterations)" : sb.toString();
    }

    /** Keeps the pool and mapping state of a failing run in target/ (sparse copy) for post-mortem. */
    private static void keepState(String ctx) {
        if (dirForDiagnostics == null) {
            return;
        }
        try {
            Path to = Path.of("target", "crash-fail-state-" + ctx.replaceAll("[^0-9a-z=-]+", "_"));
            new ProcessBuilder("cp", "-r", "--sparse=always", dirForDiagnostics.toString(), to.toString())
                    .inheritIO().start().waitFor(60, TimeUnit.SECONDS);
            System.out.println("kept the failing state in " + to.toAbsolutePath());
        } catch (java.io.IOException | InterruptedException e) {
            System.out.println("could not keep the failing state: " + e);
        }
    }

    private static Path dirForDiagnostics;
    /** NACK lines of the last iteration. */
    private int lastNacks;

    private static byte[] read(SharingTreesImpl st, long d) {
        byte[] got = new byte[BYTES];
        st.read(d, 0, got, 0, BYTES);
        return got;
    }

    private static void verify(SharingTreesImpl st, Map<Long, byte[]> model, String[] inFlight, String ctx) {
        Set<Long> present = new HashSet<>(st.disks());
        Set<Long> extra = new HashSet<>(present);
        extra.removeAll(model.keySet());
        String op = inFlight == null ? "" : inFlight[1];
        for (long d : new ArrayList<>(model.keySet())) {
            if (!present.contains(d)) {
                assertTrue(op.equals("DEL") && Long.parseLong(inFlight[2]) == d, ctx + ": disk " + d + " lost");
                model.remove(d);
                continue;
            }
            assertTrue(st.isValid(d), ctx + ": disk " + d + " invalidated");
            byte[] got = read(st, d);
            byte[] want = model.get(d);
            if (op.equals("WRITE") && Long.parseLong(inFlight[2]) == d) {
                long off = Long.parseLong(inFlight[3]);
                int len = Integer.parseInt(inFlight[4]);
                byte[] b = new byte[len];
                SharingCrashChild.fill(b, Long.parseLong(inFlight[5]));
                for (int s = 0; s < len; s += 512) {
                    int at = (int) off + s;
                    boolean old = java.util.Arrays.equals(want, at, at + 512, got, at, at + 512);
                    boolean neu = java.util.Arrays.equals(b, s, s + 512, got, at, at + 512);
                    assertTrue(old || neu, ctx + ": in-flight write sector at " + at + " of disk " + d + " is neither old nor new");
                }
                System.arraycopy(got, (int) off, want, (int) off, len);
            }
            if (op.equals("UNMAP") && Long.parseLong(inFlight[2]) == d) {
                int off = (int) Long.parseLong(inFlight[3]);
                int len = (int) Long.parseLong(inFlight[4]);
                byte[] z = new byte[512];
                for (int at = off; at < off + len; at += 512) {
                    boolean old = java.util.Arrays.equals(want, at, at + 512, got, at, at + 512);
                    boolean zero = java.util.Arrays.equals(z, 0, 512, got, at, at + 512);
                    assertTrue(old || zero, ctx + ": in-flight unmap sector at " + at + " of disk " + d + " is neither old nor zero");
                }
                System.arraycopy(got, off, want, off, len);
            }
            if (op.equals("ROLLBACK") && Long.parseLong(inFlight[2]) == d) {
                byte[] rolled = model.get(Long.parseLong(inFlight[3]));
                if (java.util.Arrays.equals(rolled, got)) {
                    want = rolled.clone();
                    model.put(d, want);
                }
            }
            int mis = java.util.Arrays.mismatch(want, got);
            if (mis >= 0) {
                int sec = mis / 512 * 512;
                int end = sec;
                while (end < BYTES && !java.util.Arrays.equals(want, end, end + 512, got, end, end + 512)) {
                    end += 512;
                }
                int zw = 0;
                int zg = 0;
                for (int i = sec; i < end; i++) {
                    zw += want[i] == 0 ? 1 : 0;
                    zg += got[i] == 0 ? 1 : 0;
                }
                keepState(ctx);
                StringBuilder ents = new StringBuilder();
                for (long c : st.chain(d)) {
                    ents.append(' ').append(c).append('=').append(io.evasan.sharing.sharebits.ShareEntry.toString(st.entry(c, mis / SharingCrashChild.SEG)));
                }
                fail(ctx + ": disk " + d + " (" + st.kind(d) + ", chain " + st.chain(d) + ", entries at the segment:" + ents + ")"
                        + " read data of: " + whose(got, sec) + "; differs at bytes " + mis
                        + ".." + end + "; zero bytes there: expected " + zw + ", read " + zg);
            }
        }
        if (!extra.isEmpty()) {
            assertEquals(1, extra.size(), ctx + ": unexpected disks " + extra);
            assertTrue(op.equals("SNAP") || op.equals("CLONE"), ctx + ": unexpected disk " + extra + " with in flight " + op);
            long nd = extra.iterator().next();
            byte[] src = model.get(Long.parseLong(inFlight[2]));
            assertEquals(-1, java.util.Arrays.mismatch(src, read(st, nd)), ctx + ": in-flight snapshot content");
            model.put(nd, src.clone());
        }
    }
}
