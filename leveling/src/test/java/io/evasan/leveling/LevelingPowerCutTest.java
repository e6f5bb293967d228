package io.evasan.leveling;

import io.evasan.leveling.api.LevelingState;
import io.evasan.leveling.api.MoveOutcome;
import io.evasan.leveling.api.PlannedMove;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.Pools;
import io.evasan.raid.powercut.PowerCut;
import io.evasan.raid.powercut.PowerCutError;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.evasan.leveling.LevelingTestSupport.MIB;
import static io.evasan.leveling.LevelingTestSupport.SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A power cut ({@link PowerCut}: unforced writes dropped, torn or reordered) at a seeded random write or force
 * while leveling moves PSEGs after drives were added. After power-on every flushed byte reads back, no PSEG
 * is a member of two RSDs or used by none, RAID1 pairs stay on paired slots, and a new leveling job finishes
 * the work (a move is either not begun or finished). {@code -Devasan.powercut.iterations=N -Devasan.seed=S}.
 */
class LevelingPowerCutTest {
    @TempDir
    Path tmp;

    @Test
    void shouldLeaveEveryMoveNotBegunOrFinishedAfterAPowerCut() throws Exception {
        long base = PowerCut.baseSeed("LevelingPowerCutTest");
        int iterations = PowerCut.iterations(4);
        for (int i = 0; i < iterations; i++) {
            runOnce(base + i, tmp.resolve("it" + i));
        }
    }

    private void runOnce(long seed, Path dir) throws Exception {
        Random rnd = new Random(seed);
        PowerCut pc = new PowerCut(seed);
        Map<Long, byte[]> oracle = new LinkedHashMap<>();
        Pool pool = Pools.create(dir, LevelingTestSupport.drives(8, 64 * MIB), new SimpleMeterRegistry(), pc.poolIo());
        int moves = 0;
        long cutAt = 1 + rnd.nextInt(400);
        try {
            DiskGroup g = pool.diskGroups().get(0);
            for (RaidLevel level : new RaidLevel[] {RaidLevel.RAID5, RaidLevel.RAID5, RaidLevel.RAID1, RaidLevel.RAID1,
                RaidLevel.RAID0, RaidLevel.RAID0}) {
                RStore s = g.allocate(level);
                byte[] o = new byte[SIZE];
                for (int i = 0; i < 6; i++) {
                    LevelingTestSupport.randomWrite(s, o, rnd);
                }
                oracle.put(s.rsdId(), o);
            }
            for (int i = 8; i < 12; i++) {
                g.addDrive(DriveSpec.file(String.format("drives/d%02d.img", i), 64 * MIB));
            }
            g.flush();
            if (rnd.nextBoolean()) {
                pc.cutAfter(cutAt);
            } else {
                // aim at the commit window: PSEG-table entry writes (new RSD copies, RELEASED tombstones)
                cutAt = 1 + rnd.nextInt(12);
                pc.cutAtMatching("write of 128 bytes", cutAt);
            }
            List<PlannedMove> plan = new LevelingPlanner().plan(GroupLayout.of(g));
            for (PlannedMove mv : plan) {
                assertEquals(MoveOutcome.MOVED, new PsegMove(g, mv).run(new Throttle(0), b -> { }, () -> false));
                moves++;
            }
        } catch (PowerCutError e) {
            System.out.println("[powercut]   seed " + seed + ": " + e.getMessage() + " after " + moves + " moves");
        }
        pc.cut();
        try {
            pool.close();
        } catch (RuntimeException | Error e) {
            // the devices are gone
        }
        try (Pool p = Pools.open(dir)) {
            DiskGroup g = p.diskGroups().get(0);
            String what = "after the cut at I/O " + cutAt + " (seed " + seed + ", " + moves + " moves done)";
            for (Map.Entry<Long, byte[]> e : oracle.entrySet()) {
                LevelingTestSupport.assertContents(e.getValue(), g.rstore(e.getKey()), what);
            }
            LevelingTestSupport.assertPsegAccounting(g);
            LevelingTestSupport.assertPairsOnPairedSlots(g);
            try (Leveler lv = new Leveler(g, new Throttle(0)).start()) {
                assertTrue(lv.await(5, TimeUnit.MINUTES), lv.toString());
                assertEquals(LevelingState.BALANCED, lv.state(), what + ": " + lv + " " + lv.lastError());
            }
            for (Map.Entry<Long, byte[]> e : oracle.entrySet()) {
                LevelingTestSupport.assertContents(e.getValue(), g.rstore(e.getKey()), what + ", then levelled");
            }
            LevelingTestSupport.assertPsegAccounting(g);
        }
    }
}
