package io.evasan.leveling;

import io.evasan.leveling.api.MoveOutcome;
import io.evasan.leveling.api.PlannedMove;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.Pool;
import io.evasan.raid.Pools;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.evasan.leveling.LevelingTestSupport.MIB;
import static io.evasan.leveling.LevelingTestSupport.SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Randomized model test in the manner of H2's TestRandomMapOps, which mixes compaction into puts: host writes,
 * reads, frees and allocations, reopens and leveling steps run against a byte-array oracle per RStore, with
 * "move a PSEG" (or a RAID1 pair) as one more random operation whose copy has host writes interleaved between
 * its rows. Prints its seed; {@code -Devasan.seed=S -Devasan.steps=N} replays or lengthens it.
 */
class LevelingModelTest {
    @TempDir
    Path dir;

    private Pool pool;
    private DiskGroup g;
    private final Map<Long, byte[]> oracle = new LinkedHashMap<>();

    @Test
    void shouldKeepEveryHostWriteWhilePsegsMoveAtRandom() throws Exception {
        long seed = LevelingTestSupport.seed("LevelingModelTest");
        Random rnd = new Random(seed);
        int steps = Integer.getInteger("evasan.steps", 150);
        pool = Pools.create(dir, LevelingTestSupport.drives(10, 64 * MIB));
        g = pool.diskGroups().get(0);
        for (RaidLevel level : new RaidLevel[] {RaidLevel.RAID0, RaidLevel.RAID1, RaidLevel.RAID5, RaidLevel.RAID5}) {
            oracle.put(g.allocate(level).rsdId(), new byte[SIZE]);
        }
        int moved = 0;
        try {
            for (int step = 0; step < steps; step++) {
                int op = rnd.nextInt(20);
                long id = pick(rnd);
                if (op < 9) {
                    LevelingTestSupport.randomWrite(g.rstore(id), oracle.get(id), rnd);
                } else if (op < 11) {
                    LevelingTestSupport.assertContents(oracle.get(id), g.rstore(id), "step " + step + " (seed " + seed + ")");
                } else if (op < 16) {
                    PlannedMove mv = randomMove(id, rnd);
                    if (mv != null) {
                        MoveOutcome o = new PsegMove(g, mv).run(new Throttle(0), b -> hostWrites(rnd), () -> false);
                        assertEquals(MoveOutcome.MOVED, o, "step " + step + " " + mv + " (seed " + seed + ")");
                        moved++;
                    }
                } else if (op < 17) {
                    List<PlannedMove> plan = new LevelingPlanner().plan(GroupLayout.of(g));
                    if (!plan.isEmpty()) {
                        assertEquals(MoveOutcome.MOVED, new PsegMove(g, plan.get(0))
                                .run(new Throttle(0), b -> hostWrites(rnd), () -> false));
                        moved++;
                    }
                } else if (op < 18) {
                    g.free(id);
                    oracle.remove(id);
                    RaidLevel level = RaidLevel.values()[rnd.nextInt(3)];
                    oracle.put(g.allocate(level).rsdId(), new byte[SIZE]);
                } else if (op < 19) {
                    g.flush();
                    pool.close();
                    pool = Pools.open(dir);
                    g = pool.diskGroups().get(0);
                    verifyAll("reopen at step " + step + " (seed " + seed + ")");
                } else {
                    verifyAll("step " + step + " (seed " + seed + ")");
                }
            }
            verifyAll("the end (seed " + seed + ")");
            System.out.println("[leveling] model test: " + steps + " steps, " + moved + " moves");
        } finally {
            pool.close();
        }
    }

    private long pick(Random rnd) {
        List<Long> ids = new ArrayList<>(oracle.keySet());
        return ids.get(rnd.nextInt(ids.size()));
    }

    /** Host writes between the rows of a move: mostly to one RStore, sometimes none. */
    private void hostWrites(Random rnd) {
        int n = rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            long id = pick(rnd);
            LevelingTestSupport.randomWrite(g.rstore(id), oracle.get(id), rnd);
        }
    }

    /** A random valid move of {@code id}: one member, or a RAID1 pair to a free slot pair of its RSS. */
    private PlannedMove randomMove(long id, Random rnd) {
        Rsd r = g.rsd(id);
        int[] slots = g.rssSlots().get(0);
        List<Integer> outside = new ArrayList<>();
        for (int d : slots) {
            if (d >= 0 && r.memberOnDrive(d) < 0) {
                outside.add(d);
            }
        }
        if (r.level() == RaidLevel.RAID1) {
            List<int[]> pairs = new ArrayList<>();
            for (int k = 0; k < slots.length / 2; k++) {
                if (outside.contains(slots[2 * k]) && outside.contains(slots[2 * k + 1])) {
                    pairs.add(new int[] {slots[2 * k], slots[2 * k + 1]});
                }
            }
            if (pairs.isEmpty()) {
                return null;
            }
            int[] t = pairs.get(rnd.nextInt(pairs.size()));
            int k = rnd.nextInt(4);
            int a = 2 * k;
            boolean aEven = slotOf(slots, r.drive(a)) % 2 == 0;
            return new PlannedMove(id, r.level(), 0b11 << a, List.of(r.address(a), r.address(a + 1)),
                    aEven ? List.of(t[0], t[1]) : List.of(t[1], t[0]));
        }
        if (outside.isEmpty()) {
            return null;
        }
        int m = rnd.nextInt(r.members());
        return new PlannedMove(id, r.level(), 1 << m, List.of(r.address(m)),
                List.of(outside.get(rnd.nextInt(outside.size()))));
    }

    private static int slotOf(int[] slots, int drive) {
        for (int s = 0; s < slots.length; s++) {
            if (slots[s] == drive) {
                return s;
            }
        }
        return -1;
    }

    private void verifyAll(String what) {
        for (Map.Entry<Long, byte[]> e : oracle.entrySet()) {
            LevelingTestSupport.assertContents(e.getValue(), g.rstore(e.getKey()), what);
        }
        LevelingTestSupport.assertPsegAccounting(g);
        LevelingTestSupport.assertPairsOnPairedSlots(g);
    }
}
