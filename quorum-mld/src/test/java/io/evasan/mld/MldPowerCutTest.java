package io.evasan.mld;

import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.powercut.PowerCut;
import io.evasan.raid.powercut.PowerCutError;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Power cuts under the MLD, on the quorum areas of a pool of {@code PowerCutDrive}s (unforced
 * writes dropped, torn at a sector boundary or reordered; seeded, each seed printed). Claims: a
 * committed (acknowledged) generation survives; an interrupted one is wholly present or absent;
 * the open never refuses to start because of a cut (in particular one during the commit-seal
 * write), and the MLD stays committable after it.
 */
class MldPowerCutTest {
    @TempDir
    Path tmp;

    static PoolSpec spec() {
        List<DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            d.add(DriveSpec.file(String.format("drives/d%02d.img", i), 64L << 20));
        }
        return new PoolSpec(List.of(new GroupSpec("dg0", d)));
    }

    /** Model: the record set of each generation. */
    static TreeMap<String, byte[]> apply(TreeMap<String, byte[]> before, MldBatch b) {
        TreeMap<String, byte[]> next = new TreeMap<>(before);
        for (MldBatch.Change c : b.changes()) {
            if (c.value() == null) {
                next.remove(c.key());
            } else {
                next.put(c.key(), c.value());
            }
        }
        return next;
    }

    private static MldBatch randomBatch(Random r, TreeMap<String, byte[]> state) {
        MldBatch b = new MldBatch();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            String key = "k" + r.nextInt(12);
            if (state.containsKey(key) && r.nextInt(4) == 0) {
                b.remove("lun", key);
            } else {
                byte[] v = new byte[r.nextInt(3000)]; // blocks of several sectors: tearable
                r.nextBytes(v);
                b.put("lun", key, v);
            }
        }
        return b;
    }

    static String same(TreeMap<String, byte[]> exp, Mld m) {
        List<String> keys = m.keys("lun");
        if (!keys.equals(new ArrayList<>(exp.keySet()))) {
            return "keys " + keys + " != " + exp.keySet();
        }
        for (String k : keys) {
            if (!Arrays.equals(exp.get(k), m.get("lun", k).orElseThrow())) {
                return "value of " + k + " differs";
            }
        }
        return null;
    }

    /**
     * Runs commits until the cut; reopens; checks. {@code commitsBefore} commits run unarmed,
     * then the cut is armed {@code cutAt} I/Os into the next ones ({@code cutAt <= 0}: random).
     */
    private void run(long seed, Path dir, int commitsBefore, int cutAt) {
        run(new PowerCut(seed), dir, commitsBefore, cutAt);
    }

    private void run(PowerCut pc, Path dir, int commitsBefore, int cutAt) {
        long seed = pc.seed();
        Random r = pc.random();
        List<TreeMap<String, byte[]>> states = new ArrayList<>();
        states.add(new TreeMap<>());
        long committed = 0;
        Pool pool = Pools.create(dir, spec(), new SimpleMeterRegistry(), pc.poolIo());
        try {
            pool.diskGroup(0).flush();
            Mld m = Mlds.open(pool.quorumAreas(), MldOptions.defaults());
            int total = commitsBefore + 6;
            for (int i = 0; i < total; i++) {
                if (i == commitsBefore) {
                    pc.cutAfter(cutAt > 0 ? cutAt : 1 + r.nextInt(40));
                }
                MldBatch b = randomBatch(r, states.get(states.size() - 1));
                states.add(apply(states.get(states.size() - 1), b));
                m.commit(b);
                committed = m.generation();
            }
        } catch (PowerCutError e) {
            System.out.println("[powercut]   " + e.getMessage());
        }
        pc.cut();
        for (String line : pc.report()) {
            if (!line.startsWith("0 ")) {
                System.out.println("[powercut]   " + line);
            }
        }
        String what = "seed " + seed + " (commits before the cut " + commitsBefore + ", cut at I/O " + cutAt
                + ", last acknowledged generation " + committed + ")";
        try (Pool p2 = Pools.open(dir, new SimpleMeterRegistry())) {
            Mld m;
            try {
                m = Mlds.open(p2.quorumAreas(), MldOptions.defaults());
            } catch (RuntimeException e) {
                throw new AssertionError(what + ": the MLD refuses to open after a power cut: " + e.getMessage(), e);
            }
            long g = m.generation();
            assertTrue(g == committed || g == committed + 1, what + ": reopened at generation " + g);
            String diff = same(states.get((int) g), m);
            if (diff != null) {
                fail(what + ": generation " + g + " reopened with other contents: " + diff);
            }
            // still committable, and that commit survives an orderly reopen
            MldBatch b = new MldBatch().put("lun", "after", new byte[] {1});
            m.commit(b);
            TreeMap<String, byte[]> exp = apply(states.get((int) g), b);
            m.close();
            p2.diskGroup(0).flush();
            Mld again = Mlds.open(p2.quorumAreas(), MldOptions.defaults());
            assertEquals(g + 1, again.generation(), what);
            assertEquals(null, same(exp, again), what);
        }
    }

    @Test
    void shouldKeepCommittedGenerationsAcrossPowerCutsAtRandomPoints() {
        long base = PowerCut.baseSeed("MldPowerCutTest.random");
        int n = PowerCut.iterations(6);
        for (int it = 0; it < n; it++) {
            long seed = base + it;
            run(seed, tmp.resolve("r" + it), new Random(seed).nextInt(6), 0);
        }
    }

    /**
     * Every I/O of a commit (3 block writes, 3 forces, 3 seal writes, 3 forces, and beyond), for
     * the very first commit and for a later one: the cut lands inside the block write, between
     * block and seal, and inside the seal write.
     */
    @Test
    void shouldOpenAfterACutAtEveryIoOfACommitIncludingTheSealWrite() {
        long base = PowerCut.baseSeed("MldPowerCutTest.everyIo");
        int rounds = PowerCut.iterations(1);
        for (int round = 0; round < rounds; round++) {
            for (int before : new int[] {0, 5}) {
                for (int k = 1; k <= 13; k++) {
                    long seed = base + round * 100L + before * 20L + k;
                    run(seed, tmp.resolve("e" + round + "-" + before + "-" + k), before, k);
                }
            }
        }
    }

    /**
     * The cut at the first force of a commit, every copy's block torn with its header sector on
     * the medium and its payload not: no copy of the interrupted (never acknowledged) generation
     * is valid, none is sealed. The first commit of a fresh MLD, and a later one.
     */
    @Test
    void shouldOpenWhenACommitIsTornOnEveryCopy() {
        long base = PowerCut.baseSeed("MldPowerCutTest.tornEverywhere");
        for (int before : new int[] {0, 5}) {
            // 3 block writes, then the first force: the 4th I/O
            run(new PowerCut(base + before).outcome(PowerCut.Outcome.TEAR_KEEP_HEAD), tmp.resolve("t" + before), before, 4);
        }
    }
}
