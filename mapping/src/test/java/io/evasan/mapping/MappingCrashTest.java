package io.evasan.mapping;

import io.evasan.mapping.support.TestPools;
import io.evasan.raid.Pool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * kill -9 test: a child JVM ({@link CrashChild}) writes and unmaps on the real pool, journaling
 * each operation before and after it runs; it is killed with SIGKILL at a random moment; the pool
 * and mapping are reopened here and every acknowledged write must read back (the blocks of the
 * one unacknowledged operation may show, sector by sector, the old or the new content). Repeated
 * on the same pool so recovery of a recovered state is exercised. CI runs
 * {@code evasan.crash.iterations} (default 3) kill points; {@code tests/scripts/crash-mapping.sh} runs
 * many more.
 */
class MappingCrashTest {
    @TempDir
    Path dir;

    /** Expected state per block: last acknowledged token (0 = zeros) and an alternative if in flight. */
    static final class Expect {
        long token;
        Long alt;
        /** Content when an unacknowledged write was torn (a per-sector mix of old and new). */
        byte[] actual;

        byte[] expected() {
            return actual != null ? actual : content(token);
        }
    }

    /** Each 512-byte sector of {@code got} equals that sector of {@code a} or of {@code b}. */
    static boolean sectorMix(byte[] got, byte[] a, byte[] b) {
        for (int s = 0; s < got.length; s += 512) {
            if (!Arrays.equals(got, s, s + 512, a, s, s + 512) && !Arrays.equals(got, s, s + 512, b, s, s + 512)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void shouldReadBackEveryAcknowledgedWriteAfterKill9() throws Exception {
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int iterations = Integer.getInteger("evasan.crash.iterations", 3);
        System.out.println("MappingCrashTest seed=" + seed + " iterations=" + iterations + " realPool=" + TestPools.real());
        Random rnd = new Random(seed);
        Path poolDir = dir.resolve("pool");
        Path stateDir = dir.resolve("state");
        Map<String, Expect> model = new HashMap<>();
        long totalAcks = 0;
        for (int it = 0; it < iterations; it++) {
            String ctx = "seed=" + seed + " iteration=" + it;
            List<String> lines = new ArrayList<>();
            long childSeed = rnd.nextLong();
            long delay = 200 + rnd.nextInt(1800);   // drawn in the order of the seeds printed before the harness
            try (io.evasan.raid.ChildJvm child = io.evasan.raid.ChildJvm.of(CrashChild.class).heap("256m")
                    .jvmArgs("-Devasan.pool=" + System.getProperty("evasan.pool", "real"))
                    .args(poolDir.toString(), stateDir.toString(), Long.toString(childSeed),
                            Integer.toString(it + 1), dir.resolve("journal-" + it + ".log").toString())
                    .start()) {
                assertTrue(child.awaitLine("READY", 60_000), ctx + ": child did not start; output " + child.lines());
                Thread.sleep(delay);
                child.kill9();
            }
            lines.addAll(java.nio.file.Files.readAllLines(dir.resolve("journal-" + it + ".log")));
            // fold the child's log into the model
            String[] inFlight = null;
            int acks = 0;
            for (String l : new ArrayList<>(lines)) {
                String[] f = l.split(" ");
                if (f.length != (l.contains("WRITE") ? 5 : 4)) {
                    continue; // a line cut by the kill (never seen in practice: one write() per line)
                }
                if (f[0].equals("BEGIN")) {
                    inFlight = f;
                } else if (f[0].equals("ACK")) {
                    apply(model, f, false);
                    inFlight = null;
                    acks++;
                }
            }
            if (inFlight != null) {
                apply(model, inFlight, true);
            }
            totalAcks += acks;
            System.out.println(ctx + ": killed after " + delay + " ms, " + acks + " acknowledged ops, in flight: "
                    + (inFlight == null ? "none" : String.join(" ", inFlight)));
            // reopen and verify everything
            try (Pool pool = TestPools.openOrCreate(poolDir, 2, 96);
                 Mapping m = Mappings.open(pool, stateDir, MappingOptions.defaults())) {
                verify(m, model, ctx);
            }
            // the in-flight op's outcome is now fixed by what was read back: resolve alternatives
            try (Pool pool = TestPools.openOrCreate(poolDir, 2, 96);
                 Mapping m = Mappings.open(pool, stateDir, MappingOptions.defaults())) {
                resolve(m, model);
            }
        }
        assertTrue(totalAcks > 0, "the child acknowledged nothing");
        System.out.println("MappingCrashTest passed: seed=" + seed + " acknowledged ops=" + totalAcks);
    }

    static final Map<Long, String> TOKENS = new HashMap<>();

    static void apply(Map<String, Expect> model, String[] f, boolean inFlight) {
        if (f[1].equals("WRITE")) {
            TOKENS.put(Long.parseLong(f[4]), String.join(" ", f) + (inFlight ? " (in flight)" : ""));
        }
        int lun = Integer.parseInt(f[2]);
        if (f[1].equals("WRITE")) {
            Expect e = model.computeIfAbsent(lun + "/" + f[3], k -> new Expect());
            long token = Long.parseLong(f[4]);
            if (inFlight) {
                e.alt = token;
            } else {
                e.token = token;
                e.alt = null;
                e.actual = null;
            }
        } else {
            int seg = Integer.parseInt(f[3]);
            int perSeg = (1 << 20) / CrashChild.BLOCK;
            for (int b = seg * perSeg; b < (seg + 1) * perSeg; b++) {
                Expect e = model.computeIfAbsent(lun + "/" + b, k -> new Expect());
                if (inFlight) {
                    e.alt = 0L;
                } else {
                    e.token = 0;
                    e.alt = null;
                    e.actual = null;
                }
            }
        }
    }

    static byte[] read(Mapping m, String key) {
        String[] k = key.split("/");
        LogicalDisk d = m.disk(CrashChild.LUNS[Integer.parseInt(k[0])]);
        ByteBuffer b = ByteBuffer.allocate(CrashChild.BLOCK);
        d.read((long) Integer.parseInt(k[1]) * CrashChild.BLOCK, b);
        return b.array();
    }

    static byte[] content(long token) {
        byte[] b = new byte[CrashChild.BLOCK];
        if (token != 0) {
            CrashChild.fill(b, token);
        }
        return b;
    }

    static void verify(Mapping m, Map<String, Expect> model, String ctx) {
        for (Map.Entry<String, Expect> e : model.entrySet()) {
            byte[] got = read(m, e.getKey());
            // an unacknowledged (in-flight) write may have landed in part: sector by sector old or new
            boolean ok = Arrays.equals(got, e.getValue().expected())
                    || (e.getValue().alt != null && sectorMix(got, e.getValue().expected(), content(e.getValue().alt)));
            if (!ok) {
                String[] k = e.getKey().split("/");
                LogicalDisk d = m.disk(CrashChild.LUNS[Integer.parseInt(k[0])]);
                long off = (long) Integer.parseInt(k[1]) * CrashChild.BLOCK;
                boolean zeros = Arrays.equals(got, new byte[got.length]);
                fail(ctx + ": block " + e.getKey() + " lost acknowledged token " + e.getValue().token + " (alt "
                        + e.getValue().alt + "); read " + (zeros ? "zeros" : "other data, first mismatch at "
                        + Arrays.mismatch(got, e.getValue().expected()) + ", token read "
                        + java.nio.ByteBuffer.wrap(got).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0) + " written by "
                        + TOKENS.get(java.nio.ByteBuffer.wrap(got).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0))) + "; entry "
                        + io.evasan.mapping.lmap.LmapEntry.toString(d.entry(off >> 20)) + "; duplicates: " + duplicates(m));
            }
        }
    }

    /** Entries of different segments that point at the same RSEG (must never happen without sharing). */
    static String duplicates(Mapping m) {
        Map<String, String> seen = new HashMap<>();
        StringBuilder sb = new StringBuilder();
        for (LunInfo li : m.list()) {
            LogicalDisk d = m.disk(li.name());
            for (long s = 0; s < d.segments(); s++) {
                int e = d.entry(s);
                if (io.evasan.mapping.lmap.LmapEntry.allocated(e)) {
                    String k = d.diskGroupId() + "/" + io.evasan.mapping.lmap.LmapEntry.slot(e) + "/"
                            + io.evasan.mapping.lmap.LmapEntry.rseg(e);
                    String prev = seen.put(k, li.name() + ":" + s);
                    if (prev != null) {
                        sb.append(k).append(" in ").append(prev).append(" and ").append(li.name()).append(":").append(s).append("; ");
                    }
                }
            }
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    static void resolve(Mapping m, Map<String, Expect> model) {
        for (Map.Entry<String, Expect> e : model.entrySet()) {
            Expect x = e.getValue();
            if (x.alt != null) {
                byte[] got = read(m, e.getKey());
                if (Arrays.equals(got, content(x.alt))) {
                    x.token = x.alt;
                    x.actual = null;
                } else if (!Arrays.equals(got, x.expected())) {
                    x.actual = got; // torn unacknowledged write: what survived is now the content
                }
                x.alt = null;
            }
        }
    }
}
