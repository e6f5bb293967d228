package io.evasan.leveling;

import io.evasan.leveling.api.LevelingState;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.Pools;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.evasan.leveling.LevelingTestSupport.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The background job: pauses between moves and resumes, stops mid-move leaving the group as it was, and
 * reports progress. The throttle's sleeper (on a clock that never advances, so every row after the first
 * "waits") is the hook that acts from inside the job at a known row: no timing in these tests.
 */
class LevelerTest {
    @TempDir
    Path dir;

    private static Pool unlevelled(Path dir) {
        Pool pool = Pools.create(dir, LevelingTestSupport.drives(8, 64 * MIB));
        DiskGroup g = pool.diskGroups().get(0);
        for (int i = 0; i < 6; i++) {
            g.allocate(i % 2 == 0 ? RaidLevel.RAID5 : RaidLevel.RAID0);
        }
        g.allocate(RaidLevel.RAID1);
        for (int i = 8; i < 12; i++) {
            g.addDrive(DriveSpec.file(String.format("drives/d%02d.img", i), 64 * MIB));
        }
        return pool;
    }

    private static Throttle hook(Runnable atSecondRow) {
        AtomicInteger calls = new AtomicInteger();
        return new Throttle(1_000_000_000L, () -> 0L, n -> {
            if (calls.incrementAndGet() == 1) {
                atSecondRow.run();
            }
        });
    }

    private static void awaitState(Leveler lv, LevelingState s) throws InterruptedException {
        while (lv.state() != s && !lv.await(10, TimeUnit.MILLISECONDS)) {
            // wait for the job to park (a condition, not a time limit)
        }
        assertEquals(s, lv.state(), lv.toString());
    }

    @Test
    void shouldPauseBetweenMovesThenResumeToBalance() throws Exception {
        try (Pool pool = unlevelled(dir)) {
            DiskGroup g = pool.diskGroups().get(0);
            AtomicReference<Leveler> ref = new AtomicReference<>();
            try (Leveler lv = new Leveler(g, hook(() -> ref.get().pause()))) {
                ref.set(lv);
                lv.start();
                awaitState(lv, LevelingState.PAUSED);
                assertEquals(1, lv.movesDone(), "the move in flight finished, no other began");
                assertTrue(lv.movesPlanned() > 1, lv.toString());
                assertEquals(2 * MIB * lv.movesDone(), lv.bytesMoved());
                lv.resume();
                assertTrue(lv.await(5, TimeUnit.MINUTES));
                assertEquals(LevelingState.BALANCED, lv.state(), lv + " " + lv.lastError());
                assertEquals(lv.movesPlanned(), lv.movesDone());
                assertEquals(lv.bytesPlanned(), lv.bytesMoved());
                assertEquals(1_000_000_000L, lv.rateBytesPerSecond());
            }
            assertTrue(ProportionalShare.balanced(GroupLayout.of(g)));
        }
    }

    @Test
    void shouldStopMidMoveAndLeaveTheGroupAsItWas() throws Exception {
        try (Pool pool = unlevelled(dir)) {
            DiskGroup g = pool.diskGroups().get(0);
            Map<Long, Rsd> before = new HashMap<>();
            for (long id : g.rsdIds()) {
                before.put(id, g.rsd(id));
            }
            long free = g.freePsegs();
            AtomicReference<Leveler> ref = new AtomicReference<>();
            try (Leveler lv = new Leveler(g, hook(() -> ref.get().stop()))) {
                ref.set(lv);
                lv.start();
                assertTrue(lv.await(5, TimeUnit.MINUTES));
                assertEquals(LevelingState.STOPPED, lv.state());
                assertEquals(0, lv.movesDone());
                assertEquals(0, lv.movesPlanned(), "the discarded plan is no longer counted");
                assertEquals(1, lv.movesSkipped());
            }
            for (long id : g.rsdIds()) {
                assertEquals(before.get(id), g.rsd(id));
            }
            assertEquals(free, g.freePsegs(), "the cancelled move's target is free again");
            LevelingTestSupport.assertPsegAccounting(g);
        }
    }
}
